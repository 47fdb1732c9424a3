"""Evidently 0.7 reports for the monitor: data drift and forecast quality, saved as HTML
(self-contained, opens offline) and JSON beside it.

The per-column verdicts come from Evidently's own tests (``include_tests=True``): a column
drifted when its test failed, whatever the direction of its method's score (a p-value for
``ks``, a distance for ``wasserstein``), so the method stays a setting.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from pricing.monitoring.config import MonitorSettings
from pricing.monitoring.verdict import ColumnDrift, DriftFigures


def _save(snapshot: object, out: Path) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(out.with_suffix(".html")))  # type: ignore[attr-defined]
    snapshot.save_json(str(out.with_suffix(".json")))  # type: ignore[attr-defined]
    return json.loads(out.with_suffix(".json").read_text())


def drift_figures(payload: dict) -> DriftFigures:
    """Per-column scores (``ValueDrift`` metrics) and verdicts (their tests) of a snapshot."""
    scores = {}
    for metric in payload.get("metrics", []):
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = float(metric["value"])
    failed = set()
    for test in payload.get("tests", []):
        column = test.get("metric_config", {}).get("params", {}).get("column")
        if column in scores and test.get("status") == "FAIL":
            failed.add(column)
    columns = tuple(ColumnDrift(c, s, c in failed) for c, s in scores.items())
    return DriftFigures(columns)


class EvidentlyReporter:
    """``pricing.monitoring.run.Reporter`` made with Evidently."""

    def drift(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        columns: list[str],
        monitor: MonitorSettings,
        title: str,
        out: Path,
    ) -> DriftFigures:
        from evidently import Report
        from evidently.presets import DataDriftPreset

        preset = DataDriftPreset(
            columns=columns,
            method=monitor.stattest,
            threshold=monitor.stattest_threshold,
            drift_share=monitor.drift_share,
        )
        report = Report([preset], include_tests=True, metadata={"title": title})
        numbers = lambda frame: frame[columns].astype(float)  # noqa: E731
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            snapshot = report.run(numbers(current), numbers(reference))
        return drift_figures(_save(snapshot, out))

    def forecast(self, frame: pd.DataFrame, title: str, out: Path) -> None:
        from evidently import DataDefinition, Dataset, Regression, Report
        from evidently.presets import RegressionPreset

        definition = DataDefinition(
            regression=[Regression(target="actual", prediction="q50")],
            numerical_columns=["actual", "q50", "q10", "q90"],
        )
        data = Dataset.from_pandas(
            frame[["actual", "q50", "q10", "q90"]].astype(float), data_definition=definition
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            snapshot = Report([RegressionPreset()], metadata={"title": title}).run(data, None)
        _save(snapshot, out)
