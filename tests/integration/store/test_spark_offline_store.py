"""Feast's Spark offline store by configuration: the same training snapshot as DuckDB's, and
the operator's path on it (`store apply`, `snapshot create|show`, `train --snapshot`).

Spark runs in local mode on one core; the module shares one session (Feast's Spark store
takes the active one), stopped at its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
    SavedDatasetSparkStorage,
)
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.schemas import KEY
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.registry import get_model
from pricing.settings import Settings, get_settings
from pricing.spark.config import SparkSettings
from pricing.spark.session import spark_session
from pricing.store import ops
from pricing.store.config import open_offline_store
from pricing.store.definitions import BASE_SERVICE
from pricing.store.snapshots import content_hash, create_snapshot, load_snapshot, saved_dataset

pytestmark = [pytest.mark.integration, pytest.mark.slow]
#: One core, one shuffle partition: tiny data, and Spark's cost is per task.
LOCAL = {"master": "local[1]", "shuffle_partitions": 1}


@pytest.fixture(scope="module", autouse=True)
def _spark_session() -> Iterator[None]:
    """The module's one Spark session."""
    session = spark_session(SparkSettings(**LOCAL))
    yield
    session.stop()


@pytest.fixture
def home(make_settings) -> Settings:
    """3 products x 60 days, features built and applied under the default (DuckDB) store."""
    settings = make_settings("home")
    generate_into_home(settings, products=3, days=60, seed=5)
    build_features(settings)
    ops.apply(settings)
    return settings


def on_spark(settings: Settings) -> Settings:
    return Settings(home=settings.home_dir, offline_store="spark", spark=SparkSettings(**LOCAL))


def test_spark_snapshot_is_the_duckdb_snapshot(home: Settings) -> None:
    duckdb = create_snapshot(home)
    expected = load_snapshot(home, duckdb.snapshot)
    spark = on_spark(home)
    ops.apply(spark)
    made = create_snapshot(spark)
    assert (made.snapshot, made.hash, made.rows) == (duckdb.snapshot, duckdb.hash, duckdb.rows)
    got = load_snapshot(spark, made.snapshot)  # the file the Spark store's run wrote
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
    assert content_hash(got) == duckdb.hash
    assert str(got["event_timestamp"].dtype) == "datetime64[us, UTC]"
    # Recorded as a Spark storage, read back under either store.
    assert isinstance(saved_dataset(home, made.snapshot).storage, SavedDatasetSparkStorage)
    pd.testing.assert_frame_equal(load_snapshot(home, made.snapshot), expected)


def test_spark_retrieval_stamps_are_utc_and_equal(home: Settings) -> None:
    """Spark hands back naive stamps in its session zone (UTC); read as UTC they are
    DuckDB's, which is how the snapshot and the monitor read them."""
    entities = pd.DataFrame(
        {
            "product_id": ["P0001", "P0002", "P0003"],
            "location_id": ["all"] * 3,
            "event_timestamp": pd.to_datetime(
                ["2024-02-01T00:00", "2024-02-10T12:00", "2024-02-20T00:00"], utc=True
            ),
        }
    )

    def retrieve(settings: Settings) -> pd.DataFrame:
        store = open_offline_store(settings)
        job = store.get_historical_features(
            entity_df=entities, features=store.get_feature_service(BASE_SERVICE)
        )
        frame = job.to_df()
        frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
        return frame.sort_values(KEY).reset_index(drop=True)

    duckdb = retrieve(home)
    spark = on_spark(home)
    ops.apply(spark)
    got = retrieve(spark)
    pd.testing.assert_series_equal(
        got["event_timestamp"], duckdb["event_timestamp"], check_dtype=False
    )
    pd.testing.assert_frame_equal(got, duckdb[got.columns], check_dtype=False, rtol=1e-9)


def run(*args: str) -> dict:
    """``pricing ARGS --json`` in process (the module's Spark session): its JSON."""
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_operator_path_on_spark(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICING_HOME", str(home.home_dir))
    monkeypatch.setenv("PRICING_OFFLINE_STORE", "spark")
    monkeypatch.setenv("PRICING_SPARK", json.dumps(LOCAL))
    get_settings.cache_clear()
    refused = CliRunner().invoke(app, ["snapshot", "create"])  # views applied under DuckDB
    assert refused.exit_code == 1 and "pricing store apply" in refused.stderr, refused.output
    run("store", "apply")
    created = run("snapshot", "create")
    shown = run("snapshot", "show", created["snapshot"])
    assert shown["hash"] == created["hash"] and Path(shown["path"]).is_file()
    listed = run("snapshot", "list")["snapshots"]
    assert [row["snapshot"] for row in listed] == [created["snapshot"]]
    trained = run("train", "--quick", "--snapshot", created["snapshot"])
    settings = get_settings()
    for kind, model in trained["models"].items():
        assert get_model(settings, kind, model["tag"]).metadata["snapshot"] == created["snapshot"]
    row = ops.online_features(settings, ["P0001"]).iloc[0]  # materialized through Spark
    assert row["forecast_model"] == trained["models"]["demand"]["tag"]
    assert row["units_ma7"] > 0
