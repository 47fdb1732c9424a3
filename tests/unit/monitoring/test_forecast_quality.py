"""Forecast quality over a window: WAPE, band coverage and bias against known forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.models.series import Panel
from pricing.monitoring.forecast_quality import forecast_quality, per_product

DAYS = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")


def panel(units: np.ndarray) -> Panel:
    shape = units.shape
    return Panel(
        keys=pd.DataFrame({"product_id": ["A", "B"], "location_id": ["all", "all"]}),
        dates=DAYS,
        grain="daily",
        units=units,
        price=np.full(shape, 2.0),
        promo=np.zeros(shape),
        observed=np.ones(shape, bool),
        stockout=np.zeros(shape, bool),
        rival=np.full(shape, 2.0),
    )


class Constant:
    """Forecasts ``level`` units every period, with a band of +-``width``."""

    horizon = 7

    def __init__(self, level: float, width: float) -> None:
        self.level, self.width = level, width

    def predict_panel(self, history: Panel, price: np.ndarray, promo: np.ndarray) -> np.ndarray:
        q50 = np.full(price.shape, self.level)
        return np.stack([q50 - self.width, q50, q50 + self.width], axis=-1)


def test_a_right_forecaster_scores_zero_error_full_coverage_no_bias():
    quality = forecast_quality(Constant(10.0, 1.0), panel(np.full((2, 60), 10.0)), DAYS[46], 7, 4)
    assert quality.alarm.wape == 0 and quality.alarm.bias == 0
    assert quality.alarm.coverage_80 == 1 and quality.alarm.reference_wape == 0
    assert len(quality.frame) == 14 and quality.frame["date"].min() == DAYS[46]


def test_a_demand_drop_in_the_window_shows_as_bias_and_worse_wape():
    units = np.full((2, 60), 10.0)
    units[:, 46:] = 6.0
    quality = forecast_quality(Constant(10.0, 1.0), panel(units), DAYS[46], 7, 4)
    assert quality.alarm.bias == pytest.approx(-0.4)
    assert quality.alarm.wape == pytest.approx(4 / 6)
    assert quality.alarm.coverage_80 == 0
    table = per_product(quality.frame)
    assert table["coverage_80"].tolist() == [0.0, 0.0] and table["periods"].tolist() == [7, 7]


def test_the_window_must_lie_inside_the_panel():
    with pytest.raises(ValueError, match="not a period"):
        forecast_quality(Constant(1.0, 1.0), panel(np.ones((2, 60))), DAYS[0], 7, 4)
