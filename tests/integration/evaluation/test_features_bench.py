"""`pricing bench features` end to end at a tiny size: both engines run in processes of their
own, their tables are equal, and the figures, plot and growth are there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.commands import cli_json, operator_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_features_bench_runs_both_engines_and_compares_their_tables(tmp_path: Path) -> None:
    results = tmp_path / "results"
    env = operator_env(
        tmp_path / "home",
        PRICING_BENCH_RESULTS=str(results),
        PRICING_SPARK__MASTER="local[1]",
        PRICING_SPARK__SHUFFLE_PARTITIONS="1",
    )

    payload = cli_json(env, "bench", "features", "--rows", "2000,4000")

    assert payload["equal"] is True
    runs = payload["results"]
    assert [(r["engine"], r["rows"]) for r in runs] == [
        ("pandas", 2190),
        ("spark", 2190),
        ("pandas", 4015),
        ("spark", 4015),
    ]  # fmt: skip  (whole years of daily series)
    for run in runs:
        assert run.keys() == {"engine", "rows", "seconds", "rows_per_s", "peak_mb"}
        assert run["seconds"] > 0 and run["peak_mb"] > 50
    spark_peak = max(r["peak_mb"] for r in runs if r["engine"] == "spark")
    assert spark_peak > max(r["peak_mb"] for r in runs if r["engine"] == "pandas")  # the JVM
    assert set(payload["growth"]) == {"pandas", "spark"}
    assert payload["skipped"] == []
    assert (results / "features.json").exists() and (results / "features.png").exists()
    assert not list((tmp_path / "home" / "bench").glob("features/rows_*"))  # scratch removed
