"""The Feast spine on real backends: SQLite and Redis online stores, PostgreSQL registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import redis

from pricing.data.home import HomeData
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.settings import Settings
from pricing.store import ops
from pricing.store.definitions import FEATURES
from pricing.store.snapshots import create_snapshot, load_snapshot, show_snapshot
from tests.integration.store.rows import same_values
from tests.services import postgres_url

pytestmark = pytest.mark.integration
FEATURE_NAMES = [name for fields in FEATURES.values() for name in fields]


def prepare(settings: Settings, seed: int = 3, products: int = 4, days: int = 60) -> None:
    generate_into_home(settings, products, days, seed, overwrite=True)
    build_features(settings)
    ops.apply(settings)
    ops.materialize(settings)


def online(settings: Settings, products: list[str]) -> list[dict]:
    frame = ops.online_features(settings, products, "all")
    return frame.to_dict(orient="records")


def expected_latest(settings: Settings, product: str) -> dict:
    """The newest feature row per view, straight from the feature files."""
    out: dict = {}
    for view in FEATURES:
        frame = pd.read_parquet(settings.features_dir / f"{view}.parquet")
        row = frame[frame["product_id"] == product].sort_values("event_timestamp").iloc[-1]
        out.update({name: float(row[name]) for name in FEATURES[view]})
    return out


def test_sqlite_and_redis_round_trip_equal_values(make_settings, redis_url):
    lite = make_settings("lite")
    red = make_settings("red", online_store="redis", redis_url=redis_url)
    prepare(lite)
    prepare(red)
    products = ["P0001", "P0002", "P0003"]
    from_lite, from_redis = online(lite, products), online(red, products)
    for a, b, product in zip(from_lite, from_redis, products, strict=True):
        assert same_values(a, b), (a, b)
        truth = expected_latest(lite, product)
        got = {k: a[k] for k in truth}
        assert same_values(got, truth), (got, truth)
        assert a["units_ma7"] is not None and a["last_price"] > 0


def test_two_homes_on_one_redis_never_share_keys(make_settings, redis_url):
    first = make_settings("first", online_store="redis", redis_url=redis_url)
    second = make_settings("second", online_store="redis", redis_url=redis_url)
    assert first.feast_project != second.feast_project
    prepare(first, seed=11)
    prepare(second, seed=12)  # same product ids, other values, written after the first
    a, b = online(first, ["P0001"])[0], online(second, ["P0001"])[0]
    assert same_values({k: a[k] for k in FEATURE_NAMES}, expected_latest(first, "P0001"))
    assert same_values({k: b[k] for k in FEATURE_NAMES}, expected_latest(second, "P0001"))
    assert a["last_price"] != b["last_price"] or a["units_ma7"] != b["units_ma7"]
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(count=1000))
    for project in (first.feast_project, second.feast_project):
        assert any(project.encode() in key for key in keys), project


def test_snapshot_is_point_in_time_correct(make_settings):
    settings = make_settings()
    prepare(settings, products=3, days=90)
    info = create_snapshot(settings)
    snap = load_snapshot(settings, info.snapshot)
    assert len(snap) == info.rows > 0
    sales = HomeData(settings.data_dir).read("sales")
    checked = 0
    for (product, _), group in sales.groupby(["product_id", "location_id"]):
        units = group.sort_values("date").set_index("date")["units_sold"]
        rows = snap[snap["product_id"] == product].set_index("event_timestamp")
        for when in units.index[10:40]:
            before = units[units.index < when].tail(7)  # strictly before the period priced
            leaky = units[units.index <= when].tail(7)  # would include the period's own units
            got = rows.loc[when, "units_ma7"]
            assert got == pytest.approx(before.mean())
            if not np.isclose(before.mean(), leaky.mean()):
                assert got != pytest.approx(leaky.mean())
            assert rows.loc[when, "units_sold"] == units[when]  # the label is the period itself
            checked += 1
    assert checked == 90


def test_snapshot_is_deterministic_and_described(make_settings):
    settings = make_settings()
    prepare(settings, products=2, days=45)
    first, second = create_snapshot(settings), create_snapshot(settings)
    assert first.snapshot == second.snapshot and first.hash == second.hash
    shown = show_snapshot(settings, first.snapshot)
    assert shown["feature_service"] == "pricing_features_v1"
    assert shown["hash"] == first.hash
    frame = load_snapshot(settings, first.snapshot)
    assert list(frame.columns[:3]) == ["product_id", "location_id", "event_timestamp"]
    assert frame["event_timestamp"].is_monotonic_increasing or frame["product_id"].nunique() > 1
    assert {"day_of_week", "is_holiday", "season"} <= set(frame.columns)


def test_sql_registry_on_postgres(make_settings):
    settings = make_settings("pg", registry="sql", registry_url=postgres_url())
    prepare(settings, products=2, days=40)
    row = online(settings, ["P0001"])[0]
    assert same_values({k: row[k] for k in FEATURE_NAMES}, expected_latest(settings, "P0001"))
    info = create_snapshot(settings)
    assert show_snapshot(settings, info.snapshot)["rows"] == str(info.rows)
