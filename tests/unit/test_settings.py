"""One settings object: env prefix, validation, derived paths and names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pricing.settings import Settings, get_settings
from pricing.spark.config import SparkSettings
from pricing.store.backends import RedisOnlineStore, SparkOfflineStore, SqlRegistry


def test_env_prefix_and_home_root(monkeypatch, tmp_path):
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("PRICING_ONLINE_STORE", "redis")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.home_dir == (tmp_path / "h").resolve()
    assert settings.online_store == RedisOnlineStore(url="redis://127.0.0.1:6379/0")
    for path in (settings.data_dir, settings.features_dir, settings.feast_dir):
        assert settings.home_dir in path.parents


def test_redis_url_translated_for_feast():
    def connection(url: str) -> str:
        store = Settings(online_store="redis", redis_url=url).online_store
        assert isinstance(store, RedisOnlineStore)
        return store.feast_connection()

    assert connection("redis://cache:6380/2") == "cache:6380,db=2"
    assert connection("redis://localhost") == "localhost:6379,db=0"
    assert connection("rediss://cache:6380/1") == "cache:6380,db=1,ssl=true"
    with pytest.raises(ValidationError, match="redis://host:port/db"):
        Settings(redis_url="localhost:6379")


def test_backends_named_by_a_word_take_their_connection_setting():
    settings = Settings(
        online_store="redis",
        redis_url="redis://cache:6380/2",
        registry="sql",
        registry_url="postgresql://feast@db:5432/registry",
        offline_store="spark",
        spark={"master": "spark://head:7077", "shuffle_partitions": 16},
    )
    assert settings.online_store == RedisOnlineStore(url="redis://cache:6380/2")
    assert settings.registry == SqlRegistry(url="postgresql://feast@db:5432/registry")
    spark = SparkSettings(master="spark://head:7077", shuffle_partitions=16)
    assert settings.spark == spark
    assert settings.offline_store == SparkOfflineStore(spark=spark)
    conf = settings.offline_store.feast_config()["spark_conf"]
    assert conf["spark.master"] == "spark://head:7077"
    assert conf["spark.sql.shuffle.partitions"] == "16"


def test_a_backend_as_json_and_unknown_options_refused():
    settings = Settings(online_store='{"type": "redis", "url": "redis://other:6379/3"}')
    assert settings.online_store == RedisOnlineStore(url="redis://other:6379/3")
    with pytest.raises(ValidationError, match="extra"):
        Settings(online_store='{"type": "sqlite", "path": "/tmp/x.db"}')


def test_as_environment_gives_a_child_process_the_same_settings(monkeypatch, tmp_path):
    settings = Settings(
        home=tmp_path / "h", online_store="redis", redis_url="redis://c:1/2", reward="profit"
    )
    for key, value in settings.as_environment().items():
        monkeypatch.setenv(key, value)
    child = Settings()
    assert child.online_store == settings.online_store
    assert child.home_dir == settings.home_dir
    assert child.bentoml_home == settings.bentoml_home
    assert child.reward == "profit"


def test_as_of_accepts_latest_now_or_timestamp():
    assert Settings(as_of="now").as_of == "now"
    assert Settings(as_of="2024-03-01T00:00:00Z").as_of.startswith("2024")
    with pytest.raises(ValidationError, match="PRICING_AS_OF"):
        Settings(as_of="yesterday-ish")


def test_unknown_settings_are_rejected():
    with pytest.raises(ValidationError):
        Settings(online_store="cassandra")
    with pytest.raises(ValidationError):
        Settings(not_a_field=1)


def test_two_homes_get_two_feast_projects(tmp_path):
    a, b = Settings(home=tmp_path / "a"), Settings(home=tmp_path / "b")
    assert a.feast_project != b.feast_project
    assert a.feast_project == Settings(home=tmp_path / "a").feast_project
    assert a.feast_project.replace("_", "").isalnum()


def test_model_store_defaults_to_the_home_and_honours_bentoml_home(monkeypatch, tmp_path):
    monkeypatch.delenv("BENTOML_HOME")
    first = Settings(home=tmp_path / "a")
    assert first.bentoml_home == (tmp_path / "a").resolve() / "bentoml"
    sibling = first.for_home(tmp_path / "a-oj")  # the demo's sibling home: its own store
    assert sibling.bentoml_home == (tmp_path / "a-oj").resolve() / "bentoml"
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "mine"))  # set by the user: it wins
    assert Settings(home=tmp_path / "a").bentoml_home == tmp_path / "mine"


def test_kafka_settings_come_from_nested_variables(monkeypatch):
    monkeypatch.setenv("PRICING_KAFKA__BOOTSTRAP_SERVERS", "k1:9092, k2:9093")
    monkeypatch.setenv("PRICING_KAFKA__TOPICS__SALES", "shop.sales")
    kafka = Settings().kafka
    assert kafka.bootstrap_servers == "k1:9092, k2:9093"
    assert kafka.topics.sales == "shop.sales"
    assert kafka.topics.inventory == "pricing.inventory"  # the others keep their defaults
    assert kafka.client_options(kafka.bootstrap_servers)["bootstrap_servers"] == [
        "k1:9092",
        "k2:9093",
    ]
    monkeypatch.delenv("PRICING_KAFKA__BOOTSTRAP_SERVERS")
    assert Settings().kafka.bootstrap_servers == ""  # empty: the embedded broker


@pytest.mark.parametrize("servers", ["nohost", "k1:9092,nohost", "host:", ":9092", "k:port"])
def test_a_malformed_bootstrap_server_is_refused_naming_it(monkeypatch, servers):
    monkeypatch.setenv("PRICING_KAFKA__BOOTSTRAP_SERVERS", servers)
    with pytest.raises(ValidationError, match="must look like host:port") as caught:
        Settings()
    bad = next(s for s in servers.split(",") if s != "k1:9092")
    assert f"bootstrap server {bad!r}" in str(caught.value)


def test_unknown_kafka_options_are_refused(monkeypatch):
    monkeypatch.setenv("PRICING_KAFKA__TOPICS__CLICKS", "shop.clicks")
    with pytest.raises(ValidationError, match="clicks"):
        Settings()


def test_as_environment_gives_a_child_process_the_kafka_settings(monkeypatch, tmp_path):
    settings = Settings(
        home=tmp_path / "h",
        kafka={
            "bootstrap_servers": "broker:9094",
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_username": "pricing",
            "sasl_password": 's3cr"et w0rd',
            "ssl_cafile": str(tmp_path / "ca.pem"),
            "topics": {"sales": "shop.sales"},
            "group_id": "pricing-eu",
        },
    )
    assert "s3cr" not in repr(settings.kafka)  # masked where it is shown
    env = settings.as_environment()
    assert 's3cr\\"et w0rd' in env["PRICING_KAFKA"]  # unmasked for the child
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    child = Settings().kafka
    assert child == settings.kafka
    assert child.sasl_password is not None
    assert child.sasl_password.get_secret_value() == 's3cr"et w0rd'
    assert child.client_options(child.bootstrap_servers)["sasl_plain_password"] == 's3cr"et w0rd'
    assert child.topics.sales == "shop.sales"
