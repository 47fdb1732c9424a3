"""What serving reads follows what was last published, into whichever online store is set:
a retraining on unchanged data reaches the online store at once, and a home switched to Redis
is filled by one `pricing store materialize`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.settings import Settings, get_settings
from pricing.store import ops
from pricing.store.backends import RedisOnlineStore
from pricing.store.definitions import FEATURES
from pricing.store.snapshots import create_snapshot
from pricing.training import publish, train_model
from tests.integration.store.rows import same_values

pytestmark = pytest.mark.integration
PRODUCTS = ["P0001", "P0002", "P0003"]
BASE_VIEWS = sorted(FEATURES)


def prepare(settings: Settings) -> None:
    generate_into_home(settings, products=3, days=60, seed=1)
    build_features(settings)
    ops.apply(settings)
    ops.materialize(settings)


def materialize_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    """`pricing store materialize --json ARGS` in the settings' environment; its JSON line."""
    for key, value in settings.as_environment().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["store", "materialize", "--json", *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def trained_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str, list]:
    """A tiny home with two (demand, elasticity) pairs quick-trained on one snapshot with
    different seeds: two retrainings on unchanged data."""
    root = tmp_path_factory.mktemp("retrained")
    settings = Settings(home=root / "home", model_store=root / "bentoml")
    prepare(settings)
    snapshot = create_snapshot(settings).snapshot
    pairs = [
        tuple(
            train_model(settings, kind, snapshot, quick=True, seed=seed).tag
            for kind in ("demand", "elasticity")
        )
        for seed in (1, 9)
    ]
    return settings, snapshot, pairs


@pytest.mark.parametrize("online_store", ["sqlite", "redis"])
def test_a_second_publish_reaches_the_online_store(trained_twice, online_store, redis_url):
    base, snapshot, pairs = trained_twice
    settings = Settings(
        home=base.home,
        model_store=base.model_store,
        online_store=online_store,
        redis_url=redis_url,
    )
    forecasts = []
    for demand_tag, elasticity_tag in pairs:
        publish(settings, snapshot, demand_tag, elasticity_tag)
        online = ops.online_features(settings, PRODUCTS).set_index("product_id")
        assert online["forecast_model"].tolist() == [demand_tag] * 3
        assert online["elasticity_model"].tolist() == [elasticity_tag] * 3
        published = pd.read_parquet(settings.features_dir / "demand_forecast.parquet")
        expected = published.set_index("product_id").loc[PRODUCTS, "forecast_units"]
        assert np.allclose(online.loc[PRODUCTS, "forecast_units"], expected)
        forecasts.append(online.loc[PRODUCTS, "forecast_units"].to_numpy())
    assert not np.allclose(forecasts[0], forecasts[1])  # the two seeds did differ
    # Nothing left to load by time afterwards: the publish brought the store up to date.
    assert ops.materialize(settings).views == []


def test_a_home_switched_to_redis_is_filled_by_one_materialize(
    make_settings, redis_url, monkeypatch
):
    lite = make_settings("switched")
    prepare(lite)
    in_sqlite = ops.online_features(lite, PRODUCTS).to_dict(orient="records")
    assert all(row["last_price"] > 0 for row in in_sqlite)
    red = lite.model_copy(update={"online_store": RedisOnlineStore(url=redis_url)})

    answer = materialize_cli(red, monkeypatch)
    assert answer["online_store"] == "redis"
    assert sorted(answer["views"]) == sorted(answer["full"]) == BASE_VIEWS
    in_redis = ops.online_features(red, PRODUCTS).to_dict(orient="records")
    for a, b in zip(in_sqlite, in_redis, strict=True):
        assert a.keys() == b.keys() and same_values(a, b), (a, b)

    # Filled once: the next run loads by time only, and there is nothing newer.
    assert materialize_cli(red, monkeypatch)["views"] == []
    # Back on SQLite, which missed nothing here but was not the last store loaded: reloaded.
    assert sorted(ops.materialize(lite).full) == BASE_VIEWS
    assert ops.materialize(lite).full == []


def test_full_reloads_every_view_and_replaces_its_rows(make_settings, redis_url, monkeypatch):
    settings = make_settings("full", online_store="redis", redis_url=redis_url)
    prepare(settings)
    assert materialize_cli(settings, monkeypatch)["views"] == []
    before = ops.online_features(settings, PRODUCTS).to_dict(orient="records")

    # The feature rows are corrected in place (same timestamps): a load by time cannot see
    # it, and Redis keeps a stored row over one with the same timestamp; --full replaces.
    path = settings.features_dir / "sales_stats.parquet"
    frame = pd.read_parquet(path)
    frame["last_price"] = frame["last_price"] * 2
    frame.to_parquet(path)
    assert ops.materialize(settings).views == []
    assert ops.online_features(settings, PRODUCTS)["last_price"].tolist() == [
        row["last_price"] for row in before
    ]

    answer = materialize_cli(settings, monkeypatch, "--full")
    assert sorted(answer["views"]) == sorted(answer["full"]) == BASE_VIEWS
    after = ops.online_features(settings, PRODUCTS)["last_price"].tolist()
    assert after == pytest.approx([2 * row["last_price"] for row in before])


def test_the_record_names_the_store_each_view_was_loaded_into(make_settings):
    settings = make_settings("record")
    prepare(settings)
    record = json.loads(Path(settings.feast_dir / ops.LOADED_INTO).read_text())
    assert sorted(record) == BASE_VIEWS
    for entry in record.values():
        assert entry["type"] == "sqlite" and entry["project"] == settings.feast_project
