"""The serving runtime on a real Feast store: SQLite and Redis answer the same."""

from __future__ import annotations

import pytest

from pricing.serving.decision_log import read_decisions
from pricing.serving.http_requests import Item
from pricing.serving.runtime import Runtime, registry_models
from pricing.store import ops
from pricing.store.backends import RedisOnlineStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCTS = [f"P{i:04d}" for i in range(1, 7)]


def answers(runtime: Runtime) -> list[dict]:
    items = [Item(product_id=p) for p in PRODUCTS]
    return runtime.recommend(items)["items"]


def test_redis_and_sqlite_online_stores_give_the_same_prices(served, redis_url):
    sqlite = Runtime(served, registry_models(served))
    try:
        expected = answers(sqlite)
    finally:
        sqlite.close()
    assert all(not a["fallback"] for a in expected)
    redis = served.model_copy(update={"online_store": RedisOnlineStore(url=redis_url)})
    ops.apply(redis)
    ops.materialize(redis, full=True)
    runtime = Runtime(redis, registry_models(redis))
    try:
        assert runtime.metadata()["config"]["online_store"] == "redis"
        assert answers(runtime) == expected
    finally:
        runtime.close()


def test_decisions_are_logged_to_parquet(served):
    runtime = Runtime(served, registry_models(served))
    first = runtime.recommend([Item(product_id="P0001"), Item(product_id="NOPE")])
    runtime.recommend([Item(product_id="P0002", competitor_price=1.0)])
    runtime.close()  # flushes
    log = read_decisions(served.decisions_dir)
    assert len(log) >= 2
    mine = log[log["request_id"] == first["request_id"]]
    assert list(mine["product_id"]) == ["P0001"]  # the unknown item made no decision
    row = mine.iloc[0]
    assert row["policy"] == "ppo" and 0 < row["action_probability"] <= 1
    assert row["recommended_price"] in list(row["allowed_prices"])
    assert '"units_ma7"' in row["features"] and '"explanation"' in row["response"]
