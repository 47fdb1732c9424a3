"""One settings object: env prefix, validation, derived paths and names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pricing.settings import Settings, get_settings


def test_env_prefix_and_home_root(monkeypatch, tmp_path):
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("PRICING_ONLINE_STORE", "redis")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.home_dir == (tmp_path / "h").resolve()
    assert settings.online_store == "redis"
    for path in (settings.data_dir, settings.features_dir, settings.feast_dir):
        assert settings.home_dir in path.parents


def test_redis_url_translated_for_feast():
    assert Settings(redis_url="redis://cache:6380/2").feast_redis_connection() == "cache:6380,db=2"
    assert Settings(redis_url="redis://localhost").feast_redis_connection() == "localhost:6379,db=0"
    with pytest.raises(ValidationError, match="redis://host:port/db"):
        Settings(redis_url="localhost:6379")


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


def test_exported_bentoml_home_does_not_leak_into_a_sibling_home(monkeypatch, tmp_path):
    monkeypatch.delenv("BENTOML_HOME")
    first = Settings(home=tmp_path / "a")
    first.export_environment()
    sibling = Settings(home=tmp_path / "a-oj")
    assert sibling.bentoml_home == (tmp_path / "a-oj").resolve() / "bentoml"
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "mine"))  # set by the user: it wins
    assert sibling.bentoml_home == tmp_path / "mine"
