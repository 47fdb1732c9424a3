"""`pricing bench materialize` end to end on a tiny size against a real Redis: every figure is
there, Feast wrote one key per entity, and none of the run's keys is left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from tests.integration.commands import cli_json, operator_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RESULT_KEYS = {
    "rows",
    "seconds",
    "rows_per_s",
    "redis_rows_per_s",
    "ratio",
    "bytes_per_entity",
    "entities_online",
    "feast_project",
}


def test_materialize_bench_reports_rates_and_memory_and_cleans_up(
    tmp_path: Path, redis_url: str
) -> None:
    results = tmp_path / "results"
    env = operator_env(
        tmp_path / "home", PRICING_REDIS_URL=redis_url, PRICING_BENCH_RESULTS=str(results)
    )

    payload = cli_json(env, "bench", "materialize", "--rows", "500")

    (run,) = payload["results"]
    assert run.keys() >= RESULT_KEYS
    assert run["rows"] == 500 and run["entities_online"] == 500
    assert run["rows_written"] == 500 * len(run["views"]) == 2_500  # batch + model views
    assert run["rows_per_s"] > 0 and run["redis_rows_per_s"] > 0 and run["seconds"] > 0
    assert run["ratio"] == pytest.approx(run["rows_per_s"] / run["redis_rows_per_s"], rel=1e-3)
    assert 100 < run["bytes_per_entity"] < 10_000
    assert [row["products"] for row in payload["sizing"]] == [10_000, 100_000, 1_000_000]
    assert json.loads((results / "materialize.json").read_text()) == payload
    assert (results / "materialize.png").stat().st_size > 0
    client = redis.Redis.from_url(redis_url)
    try:
        left = list(client.scan_iter(match=b"*" + run["feast_project"].encode(), count=1000))
    finally:
        client.close()
    assert left == []
