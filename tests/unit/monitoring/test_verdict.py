"""From drift figures to a verdict; the per-series scaling; which columns can be tested."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.monitoring.config import MonitorSettings
from pricing.monitoring.verdict import (
    ColumnDrift,
    DriftFigures,
    ForecastAlarm,
    columns_to_test,
    per_series_scaled,
    verdict,
)

MONITOR = MonitorSettings(drift_share=0.5, wape_ratio=2.0, bias_limit=0.2)
STEADY = ForecastAlarm(wape=0.3, reference_wape=0.25, coverage_80=0.8, bias=0.05)


def figures(*drifted: bool) -> DriftFigures:
    return DriftFigures(tuple(ColumnDrift(f"f{i}", 0.5, d) for i, d in enumerate(drifted)))


def test_drift_when_the_share_of_drifted_features_reaches_the_threshold():
    assert verdict(figures(True, False, False), STEADY, MONITOR) == (False, [])
    drift, reasons = verdict(figures(True, True, False, False), STEADY, MONITOR)
    assert drift and reasons == ["2 of 4 features drifted (f0, f1; share 0.50 >= 0.5)"]


def test_a_forecaster_that_lost_its_accuracy_or_its_level_is_drift_too():
    worse = ForecastAlarm(wape=0.6, reference_wape=0.25, coverage_80=0.5, bias=0.0)
    drift, reasons = verdict(figures(False), worse, MONITOR)
    assert drift and "WAPE 0.600" in reasons[0]
    shocked = ForecastAlarm(wape=0.4, reference_wape=0.3, coverage_80=0.5, bias=-0.35)
    drift, reasons = verdict(figures(False), shocked, MONITOR)
    assert drift and reasons == ["units sold are -35% against the forecast over the window "
                                 "(beyond +-20%)"]  # fmt: skip
    unknown = ForecastAlarm(np.nan, np.nan, np.nan, np.nan)
    assert verdict(figures(False), unknown, MONITOR) == (False, [])


def test_no_tested_column_is_no_drift_not_a_division_by_zero():
    assert figures().share == 0.0
    assert verdict(figures(), None, MONITOR) == (False, [])


def test_columns_without_enough_values_or_constant_are_left_out_with_the_reason():
    reference = pd.DataFrame({"a": np.arange(40.0), "b": 1.0, "c": np.arange(40.0)})
    current = pd.DataFrame({"a": np.arange(40.0), "b": 1.0, "c": [np.nan] * 35 + [1.0] * 5})
    keep, skipped = columns_to_test(reference, current, ["a", "b", "c", "d"])
    assert keep == ["a"]
    assert skipped == {
        "b": "constant in the reference",
        "c": "40 reference / 5 current values (< 20)",
        "d": "0 reference / 0 current values (< 20)",
    }


def test_per_series_scaling_divides_by_each_series_reference_median():
    reference = pd.DataFrame({"product_id": ["A", "A", "B", "B"], "x": [1.0, 3.0, 10.0, 30.0]})
    current = pd.DataFrame({"product_id": ["A", "B", "C"], "x": [4.0, 40.0, 5.0]})
    ref, cur = per_series_scaled(reference, current, ["x"], ["product_id"])
    assert ref["x"].tolist() == [0.5, 1.5, 0.5, 1.5]
    assert cur["x"].tolist()[:2] == [2.0, 2.0] and np.isnan(cur["x"].iloc[2])  # C: no scale


@pytest.mark.parametrize("bias", [0.19, -0.19])
def test_a_small_bias_is_no_alarm(bias):
    alarm = ForecastAlarm(wape=0.3, reference_wape=0.3, coverage_80=0.8, bias=bias)
    assert not alarm.raised(MONITOR)
