"""The monitor's history: appended runs read back as frames with fixed columns."""

from __future__ import annotations

import pandas as pd

from pricing.monitoring import history
from pricing.settings import Settings


def record(run_id: str, drift: bool, scores: dict[str, float]) -> dict:
    return {
        "run_id": run_id,
        "run_at": "2026-11-30T10:00:00+00:00",
        "window_start": "2024-04-23T00:00:00+00:00",
        "window_end": "2024-04-29T00:00:00+00:00",
        "drift": drift,
        "drift_share": 0.5 if drift else 0.0,
        "drifted_features": ["a"] if drift else [],
        "feature_scores": scores,
        "report": f"/reports/{run_id}/data_drift.html",
        "forecast_wape": None,
    }


def test_an_empty_home_reads_empty_frames_with_the_columns(tmp_path):
    settings = Settings(home=tmp_path)
    assert list(history.read_history(settings).columns) == history.RUN_COLUMNS
    assert list(history.feature_history(settings).columns) == history.FEATURE_COLUMNS
    assert list(history.forecast_quality(settings).columns) == history.FORECAST_COLUMNS


def test_runs_read_back_oldest_first_and_a_torn_last_line_is_skipped(tmp_path):
    settings = Settings(home=tmp_path)
    history.append_run(settings, record("r1", False, {"a": 0.1, "b": 0.2}))
    history.append_run(settings, record("r2", True, {"a": 0.9, "b": 0.1}))
    with (history.monitor_dir(settings) / history.HISTORY_FILE).open("a") as handle:
        handle.write('{"run_id": "r3", "dri')  # a crash mid-write
    runs = history.read_history(settings)
    assert runs["run_id"].tolist() == ["r1", "r2"]
    assert runs["drift"].tolist() == [False, True]
    assert isinstance(runs["run_at"].dtype, pd.DatetimeTZDtype)
    assert runs["forecast_wape"].isna().all()
    features = history.feature_history(settings)
    drifted = features[features["drifted"]]
    assert list(zip(drifted["run_id"], drifted["feature"], strict=True)) == [("r2", "a")]


def test_forecast_rows_come_from_the_latest_run_that_has_them(tmp_path):
    settings = Settings(home=tmp_path)
    rows = pd.DataFrame(
        {"product_id": ["P1"], "location_id": ["all"], "date": [pd.Timestamp("2024-04-23")]}
    ).assign(actual=3.0, q10=1.0, q50=2.0, q90=4.0)
    history.run_dir(settings, "r1").mkdir(parents=True)
    rows.to_parquet(history.run_dir(settings, "r1") / history.FORECAST_FILE)
    history.append_run(settings, record("r1", False, {}))
    history.append_run(settings, record("r2", False, {}))  # skipped its forecast
    assert history.forecast_quality(settings).equals(rows)
