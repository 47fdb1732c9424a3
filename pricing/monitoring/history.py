"""The monitor's history: one JSON line per run, and each run's files beside it.

``<home>/reports/monitor/history.jsonl`` is append-only (a torn last line, from a crash
mid-write, is skipped on read, never fatal); ``<home>/reports/monitor/<run_id>/`` holds
the run's Evidently reports (HTML and JSON), its forecast rows and its summary. Readers
(the dashboard, ``pricing monitor``) get frames with fixed columns, empty before any run.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from pricing.settings import Settings

logger = logging.getLogger(__name__)

HISTORY_FILE = "history.jsonl"
FORECAST_FILE = "forecast_quality.parquet"
RUN_COLUMNS = [
    "run_id",
    "run_at",
    "window_start",
    "window_end",
    "drift",
    "drift_share",
    "drifted_features",
    "report",
    "forecast_wape",
    "forecast_coverage_80",
    "prediction_drift_share",
]
FEATURE_COLUMNS = ["run_id", "run_at", "window_end", "feature", "score", "drifted"]
FORECAST_COLUMNS = ["product_id", "location_id", "date", "actual", "q10", "q50", "q90"]


def monitor_dir(settings: Settings) -> Path:
    return settings.reports_dir / "monitor"


def run_dir(settings: Settings, run_id: str) -> Path:
    return monitor_dir(settings) / run_id


def append_run(settings: Settings, record: dict[str, Any]) -> None:
    """Add one run's record (its files are written before, so a listed run is complete)."""
    path = monitor_dir(settings) / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, default=str, sort_keys=True) + "\n")


def runs(settings: Settings) -> list[dict[str, Any]]:
    """Every run's full record, oldest first."""
    path = monitor_dir(settings) / HISTORY_FILE
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            logger.warning("%s line %d is not a whole record (skipped)", path, number)
    return records


def _times(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def read_history(settings: Settings) -> pd.DataFrame:
    """One row per run (``RUN_COLUMNS``), oldest first."""
    records = runs(settings)
    if not records:
        return pd.DataFrame(columns=RUN_COLUMNS)
    frame = pd.DataFrame([{c: r.get(c) for c in RUN_COLUMNS} for r in records])
    frame["drift"] = frame["drift"].astype(bool)
    for column in (
        "drift_share",
        "forecast_wape",
        "forecast_coverage_80",
        "prediction_drift_share",
    ):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return _times(frame, ["run_at", "window_start", "window_end"])


def feature_history(settings: Settings) -> pd.DataFrame:
    """Per run and tested feature: its drift score and whether it drifted (with the run's
    window, the time axis of drift: backfilled runs share a run time)."""
    rows = [
        {
            "run_id": r["run_id"],
            "run_at": r["run_at"],
            "window_end": r.get("window_end"),
            "feature": feature,
            "score": score,
            "drifted": feature in r.get("drifted_features", []),
        }
        for r in runs(settings)
        for feature, score in r.get("feature_scores", {}).items()
    ]
    if not rows:
        return pd.DataFrame(columns=FEATURE_COLUMNS)
    return _times(pd.DataFrame(rows, columns=FEATURE_COLUMNS), ["run_at", "window_end"])


def forecast_quality(settings: Settings) -> pd.DataFrame:
    """The latest run's forecast rows: forecast vs actual with the band, per series-period."""
    for record in reversed(runs(settings)):
        path = run_dir(settings, record["run_id"]) / FORECAST_FILE
        if path.exists():
            return pd.read_parquet(path)
    return pd.DataFrame(columns=FORECAST_COLUMNS)
