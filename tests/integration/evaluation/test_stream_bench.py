"""The streaming benchmark end to end on a tiny home (SQLite online store, the embedded
broker it starts itself): every event reaches the store and the figures are all there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pricing.data.synthetic import generate_into_home
from pricing.evaluation.stream_bench import plot_stream, stream_bench
from pricing.features.build import build_features
from pricing.settings import Settings
from pricing.store import ops

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JSON_KEYS = {
    "events",
    "events_per_s",
    "freshness_p50_ms",
    "freshness_p99_ms",
    "lost",
    "kafka_consume_per_s",
    "redis_write_per_s",
}


def test_stream_bench_loses_nothing_and_reports_every_figure(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    generate_into_home(settings, products=3, days=30, seed=1)
    build_features(settings)
    ops.apply(settings)

    result = stream_bench(settings, events=300, rate=200, seconds=1)

    figures = result.figures
    assert figures.keys() >= JSON_KEYS
    assert figures["events"] == 300
    assert figures["lost"] == 0, figures["lost_by_kind"]
    assert figures["lost_by_kind"]["extra_units"] == 0
    assert figures["online_equals_fold"]
    assert figures["paced_caught_up"] and figures["freshness_unseen"] == 0
    assert figures["events_per_s"] > 0 and figures["kafka_consume_per_s"] > 0
    assert 0 < figures["freshness_p50_ms"] <= figures["freshness_p99_ms"]
    assert figures["redis_write_per_s"] is None and "sqlite" in figures["redis_skipped"]
    assert figures["dead_lettered"] == 0 and figures["duplicates"] == 0
    json.dumps(figures)  # the --json line
    plot_stream(result, tmp_path / "stream.png")
    assert (tmp_path / "stream.png").stat().st_size > 0
    assert not (settings.stream_dir / "status.json").exists()  # the home's consumer's file

    # a second run sees none of the first's events, and its own are newer than all the
    # realtime view holds: counted afresh in the next period, none stale
    again = stream_bench(settings, events=100, rate=200, seconds=1).figures
    assert again["run_id"] != figures["run_id"]
    assert again["lost"] == 0 and again["online_equals_fold"] and again["stale"] == 0
