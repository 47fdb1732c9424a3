"""feature_store.yaml is rendered from Settings: backends by configuration only."""

from __future__ import annotations

from pathlib import Path

import yaml

from pricing.settings import Settings
from pricing.store.backends import DuckDBOfflineStore, SparkOfflineStore
from pricing.store.config import feature_store_config, render_feature_store_yaml


def test_embedded_defaults(tmp_path):
    settings = Settings(home=tmp_path)
    config = feature_store_config(settings)
    assert config["online_store"] == {
        "type": "sqlite",
        "path": str(settings.feast_dir / "online_store.db"),
    }
    assert config["registry"]["registry_type"] == "file"
    assert config["offline_store"] == {"type": "duckdb"}
    assert config["project"] == settings.feast_project


def test_redis_sql_registry_and_spark_by_configuration(tmp_path):
    settings = Settings(
        home=tmp_path,
        online_store="redis",
        redis_url="redis://10.1.2.3:6390/4",
        registry="sql",
        registry_url="postgresql://feast@db:5432/registry",
        offline_store="spark",
    )
    assert settings.online_store.type == "redis"
    config = feature_store_config(settings)
    assert config["online_store"] == {"type": "redis", "connection_string": "10.1.2.3:6390,db=4"}
    assert config["registry"]["path"] == "postgresql+psycopg://feast@db:5432/registry"
    assert config["offline_store"]["type"] == "spark"
    assert config["offline_store"]["spark_conf"]["spark.master"] == "local[*]"


def test_rendered_file_lives_in_the_home(tmp_path):
    settings = Settings(home=tmp_path)
    path = render_feature_store_yaml(settings)
    assert path.parent == settings.feast_dir
    assert yaml.safe_load(path.read_text())["project"] == settings.feast_project


def test_each_offline_store_reads_its_own_sources_only():
    """What ``open_offline_store`` checks the registry's views against."""
    duckdb, spark = DuckDBOfflineStore(), SparkOfflineStore()
    common = {"name": "s", "timestamp_field": "event_timestamp"}
    files = duckdb.batch_source(Path("/x/sales_stats.parquet"), **common)
    sparks = spark.batch_source(Path("/x/sales_stats.parquet"), **common)
    assert duckdb.reads(files) and not duckdb.reads(sparks)
    assert spark.reads(sparks) and not spark.reads(files)
