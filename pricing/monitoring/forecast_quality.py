"""Forecast quality as actuals arrive: the prod forecaster against what then sold.

The forecaster is asked what it would have said at the start of the window (history before
it, the prices that were then charged as the plan), and at the starts of the reference
windows before it, scored on observed, uncensored periods: the window's WAPE against the
reference's says whether the model still fits, and the share of actuals inside the 10-90%
band whether its uncertainty still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from pricing.models.backtest import rolling_origins, wape
from pricing.models.series import Panel
from pricing.monitoring.verdict import ForecastAlarm


class QuantileForecaster(Protocol):
    horizon: int

    def predict_panel(self, history: Panel, price: np.ndarray, promo: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class SpanForecast:
    """Actuals and quantiles over a span of periods (series, periods), with the usable mask."""

    actual: np.ndarray
    quantiles: np.ndarray  # (series, periods, 3)
    mask: np.ndarray
    first: int

    def wape(self) -> float:
        return wape(self.actual, self.quantiles[..., 1], self.mask)

    def bias(self) -> float:
        """Units sold / units forecast - 1 over the usable cells (0: unbiased)."""
        forecast = self.quantiles[..., 1][self.mask].sum()
        return float(self.actual[self.mask].sum() / forecast - 1.0) if forecast > 0 else np.nan

    def coverage(self) -> float:
        inside = (self.actual >= self.quantiles[..., 0]) & (self.actual <= self.quantiles[..., 2])
        return float(inside[self.mask].mean()) if self.mask.any() else float("nan")


def span_forecast(
    forecaster: QuantileForecaster, panel: Panel, first: int, periods: int
) -> SpanForecast:
    """Forecasts of periods ``[first, first + periods)`` from origins every horizon inside it."""
    horizon = forecaster.horizon
    starts = list(range(first, first + periods, horizon))
    parts = []
    for origin in rolling_origins(panel, horizon, starts):
        steps = min(horizon, first + periods - origin.at)
        q = forecaster.predict_panel(origin.history, origin.price, origin.promo)
        parts.append((origin.actual[:, :steps], q[:, :steps], origin.mask[:, :steps]))
    actual, quantiles, mask = (np.concatenate(p, axis=1) for p in zip(*parts, strict=True))
    return SpanForecast(actual, quantiles, mask, first)


@dataclass(frozen=True)
class ForecastQuality:
    """The window's forecasts (one row per usable series-period) and the alarm figures."""

    frame: pd.DataFrame
    alarm: ForecastAlarm


def forecast_quality(
    forecaster: QuantileForecaster,
    panel: Panel,
    window_start: pd.Timestamp,
    periods: int,
    reference_windows: int,
) -> ForecastQuality:
    """Score the window starting at ``window_start`` and up to ``reference_windows`` windows
    before it (their median WAPE is the reference)."""
    first = int(panel.dates.get_indexer([window_start])[0])
    if first < 1:
        raise ValueError(f"{window_start} is not a period of the panel after its first")
    window = span_forecast(forecaster, panel, first, min(periods, len(panel.dates) - first))
    earlier = [first - k * periods for k in range(1, reference_windows + 1)]
    reference = [span_forecast(forecaster, panel, s, periods).wape() for s in earlier if s >= 1]
    finite = [w for w in reference if np.isfinite(w)]
    rows, steps = np.nonzero(window.mask)
    keys = panel.keys.iloc[rows].reset_index(drop=True)
    frame = keys.assign(
        date=panel.dates[first + steps],
        actual=window.actual[rows, steps],
        q10=window.quantiles[rows, steps, 0],
        q50=window.quantiles[rows, steps, 1],
        q90=window.quantiles[rows, steps, 2],
    )
    alarm = ForecastAlarm(
        wape=window.wape(),
        reference_wape=float(np.median(finite)) if finite else float("nan"),
        coverage_80=window.coverage(),
        bias=window.bias(),
    )
    return ForecastQuality(frame, alarm)


def per_product(frame: pd.DataFrame) -> pd.DataFrame:
    """WAPE and band coverage per product over the window's rows."""
    inside = (frame["actual"] >= frame["q10"]) & (frame["actual"] <= frame["q90"])
    grouped = frame.assign(error=(frame["actual"] - frame["q50"]).abs(), inside=inside).groupby(
        "product_id"
    )
    actual = grouped["actual"].sum()
    return pd.DataFrame(
        {
            "wape": grouped["error"].sum() / actual.where(actual > 0),
            "coverage_80": grouped["inside"].mean(),
            "periods": grouped.size(),
        }
    ).reset_index()
