"""Evidently's reports, as the monitor asks for them: files written, verdicts per column
read from Evidently's own tests whichever direction the method's score runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pricing.monitoring.config import MonitorSettings
from pricing_monitoring.reports import EvidentlyReporter

pytestmark = pytest.mark.integration


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"steady": rng.normal(size=800), "moved": rng.normal(size=800)})
    current = pd.DataFrame({"steady": rng.normal(size=300), "moved": rng.normal(1.5, 1, 300)})
    return reference, current


@pytest.mark.parametrize(("method", "threshold"), [("wasserstein", 0.2), ("ks", 0.05)])
def test_the_moved_column_drifts_and_the_steady_one_does_not(tmp_path, method, threshold):
    reference, current = frames()
    monitor = MonitorSettings(stattest=method, stattest_threshold=threshold, drift_share=0.5)
    out = tmp_path / "drift"
    figures = EvidentlyReporter().drift(
        reference, current, ["steady", "moved"], monitor, "test", out
    )
    assert figures.drifted_features == ["moved"] and figures.share == 0.5
    assert set(figures.scores()) == {"steady", "moved"}
    assert out.with_suffix(".html").stat().st_size > 10_000  # self-contained page
    assert json.loads(out.with_suffix(".json").read_text())["metrics"]


def test_forecast_report_is_written(tmp_path):
    frame = pd.DataFrame(
        {"actual": [3.0, 4.0, 5.0, 6.0], "q10": 2.0, "q50": [3.5, 4.0, 4.5, 5.0], "q90": 7.0}
    )
    EvidentlyReporter().forecast(frame, "Forecast vs actual", tmp_path / "forecast")
    assert (tmp_path / "forecast.html").exists() and (tmp_path / "forecast.json").exists()
