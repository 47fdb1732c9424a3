"""Rolling-origin backtest of the demand forecaster against its baselines.

The last K periods are held out; origins sit every H periods inside them. At each origin every
model sees only the periods before it (the panel is cut there) plus the planned prices and
promo of the horizon, and is scored on the usable actuals (observed, not stocked out).

Metrics, pooled over series, origins and horizon steps:
- WAPE = sum |error| / sum |actual|.
- MASE = the mean over series of (that series' mean absolute error / its in-sample MAE of the
  seasonal naive forecast on the history before the first origin); series whose scale is zero
  or undefined are left out of MASE (not of WAPE).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pricing.models import history
from pricing.models.demand import DemandForecaster
from pricing.models.forecast_baselines import BASELINES
from pricing.models.series import (
    DEFAULT_HOLDOUT,
    DEFAULT_HORIZON,
    Panel,
    build_panel,
    fill_prices,
    reference_price,
)

logger = logging.getLogger(__name__)
LSTM = "lstm"
ALL_MODELS = (LSTM, *BASELINES)


def wape(actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray) -> float:
    """sum |actual - forecast| / sum |actual| over the masked-in cells."""
    denominator = np.abs(actual[mask]).sum()
    if denominator == 0:
        return float("nan")
    return float(np.abs(actual[mask] - forecast[mask]).sum() / denominator)


def coverage(actual: np.ndarray, interval: np.ndarray, mask: np.ndarray) -> float:
    """Share of the masked-in actuals inside their interval (``interval[..., 0:2]``, ends in)."""
    inside = (actual >= interval[..., 0]) & (actual <= interval[..., 1])
    return float(inside[mask].mean()) if mask.any() else float("nan")


def seasonal_scale(history: Panel) -> np.ndarray:
    """Per-series in-sample MAE of the seasonal-naive forecast (lag 1 if too short a history)."""
    values = np.where(history.usable, history.units, np.nan)
    out = np.full(len(values), np.nan)
    for lag in (history.season, 1):
        if values.shape[1] <= lag:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # series without a usable pair
            mae = np.nanmean(np.abs(values[:, lag:] - values[:, :-lag]), axis=1)
        out = np.where(np.isfinite(out), out, mae)
    return out


def mase(actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray, scale: np.ndarray) -> float:
    """Mean over series of MAE / scale (arrays are (series, ...); scale per series)."""
    errors = np.where(mask, np.abs(actual - forecast), 0.0).reshape(len(actual), -1).sum(axis=1)
    counts = mask.reshape(len(actual), -1).sum(axis=1)
    keep = (counts > 0) & np.isfinite(scale) & (scale > 0)
    if not keep.any():
        return float("nan")
    return float(np.mean(errors[keep] / counts[keep] / scale[keep]))


def origins(length: int, horizon: int, holdout: int) -> list[int]:
    """Period indices of the forecast origins: every ``horizon`` periods in the last ``holdout``."""
    if holdout < 1 or horizon < 1 or length - holdout < 2:
        raise ValueError(f"cannot hold out {holdout} of {length} periods")
    return list(range(length - holdout, length, horizon))


def planned(panel: Panel, origin: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The horizon's prices and promo as they were set (the decision inputs), gaps filled with
    the last known price and no promo; periods past the data repeat the last price."""
    price = fill_prices(panel.price[:, : origin + horizon], reference_price(panel.head(origin)))
    promo = panel.promo[:, origin : origin + horizon]
    price = price[:, origin:]
    pad = horizon - price.shape[1]
    if pad:
        price = np.pad(price, ((0, 0), (0, pad)), mode="edge")
        promo = np.pad(promo, ((0, 0), (0, pad)))
    return price, promo


@dataclass(frozen=True)
class Origin:
    """One forecast origin: what a model may see (the history before period ``at``, the
    horizon's planned prices and promo) and what it is scored on (H periods of actuals and
    their mask; periods past the data's end are masked out)."""

    at: int
    history: Panel
    price: np.ndarray
    promo: np.ndarray
    actual: np.ndarray
    mask: np.ndarray


def rolling_origins(panel: Panel, horizon: int, starts: list[int]) -> Iterator[Origin]:
    """The backtest's origins in order, each cut from ``panel``."""
    shape = (len(panel.keys), horizon)
    for origin in starts:
        price, promo = planned(panel, origin, horizon)
        end = min(origin + horizon, len(panel.dates))
        actual, mask = np.zeros(shape), np.zeros(shape, dtype=bool)
        actual[:, : end - origin] = np.nan_to_num(panel.units[:, origin:end])
        mask[:, : end - origin] = panel.usable[:, origin:end]
        yield Origin(origin, panel.head(origin), price, promo, actual, mask)


@dataclass
class BacktestForecasts:
    """Actuals, their mask and every model's point forecasts, each (series, origins, H), the
    LSTM's 10-90% interval (series, origins, H, 2) calibrated and as the network gives it, and
    its conformal margin at each origin."""

    actual: np.ndarray
    mask: np.ndarray
    forecasts: dict[str, np.ndarray]
    seconds: dict[str, float]
    interval: np.ndarray
    raw_interval: np.ndarray
    margins: list[float]


def backtest_forecasts(
    panel: Panel, horizon: int, starts: list[int], names: list[str], quick: bool, seed: int
) -> BacktestForecasts:
    """Forecast from every origin with every model, each seeing only the panel before it.

    The LSTM is retrained at every origin: fully at the first, then warm-started from the
    previous origin's weights (which saw only older data) for a few epochs, which keeps a
    full run within minutes on two cores.
    """
    shape = (len(panel.keys), len(starts), horizon)
    out = BacktestForecasts(
        np.zeros(shape),
        np.zeros(shape, dtype=bool),
        {name: np.zeros(shape) for name in names},
        dict.fromkeys(names, 0.0),
        np.zeros((*shape, 2)),
        np.zeros((*shape, 2)),
        [],
    )
    forecaster = DemandForecaster() if LSTM in names else None
    for k, cut in enumerate(rolling_origins(panel, horizon, starts)):
        out.actual[:, k], out.mask[:, k] = cut.actual, cut.mask
        for name in names:
            clock = time.perf_counter()
            if name == LSTM and forecaster is not None:
                forecaster.fit_panel(cut.history, horizon, quick=quick, seed=seed, warm=k > 0)
                quantiles = forecaster.predict_panel(cut.history, cut.price, cut.promo)
                out.forecasts[name][:, k], out.interval[:, k] = (
                    quantiles[..., 1],
                    quantiles[..., ::2],
                )
                raw = forecaster.predict_panel(cut.history, cut.price, cut.promo, calibrated=False)
                out.raw_interval[:, k] = raw[..., ::2]
                out.margins.append(forecaster.margin)
            else:
                out.forecasts[name][:, k] = BASELINES[name](cut.history, cut.price, cut.promo)
            out.seconds[name] += time.perf_counter() - clock
        logger.info("backtest origin %d/%d (%s) done", k + 1, len(starts), panel.dates[cut.at])
    return out


def run_backtest(
    sales: pd.DataFrame,
    competitor_prices: pd.DataFrame | None,
    grain: str,
    horizon: int | None = None,
    holdout: int | None = None,
    quick: bool = False,
    seed: int = 0,
    models: Iterable[str] | None = None,
) -> dict:
    """Score every model on the same origins, series and actuals; returns the figures (per
    model: WAPE, MASE, the seconds spent fitting and forecasting, and for the LSTM the share
    of actuals inside its calibrated 10-90% interval, 0.8 when calibrated well, the share inside
    the network's own interval and the mean conformal margin). Too short a history for the
    holdout raises ``InsufficientHistoryError`` naming the need."""
    horizon = horizon or DEFAULT_HORIZON[grain]
    holdout = holdout or DEFAULT_HOLDOUT[grain]
    names = list(models or ALL_MODELS)
    unknown = set(names) - set(ALL_MODELS)
    if unknown:
        raise ValueError(f"unknown models {sorted(unknown)}; choose from {list(ALL_MODELS)}")
    panel = build_panel(sales, competitor_prices, grain)
    history.backtest(grain, horizon, holdout, lstm=LSTM in names).require(len(panel.dates))
    starts = origins(len(panel.dates), horizon, holdout)
    result = backtest_forecasts(panel, horizon, starts, names, quick, seed)
    scale = seasonal_scale(panel.head(starts[0]))
    scores = {
        name: {
            "wape": wape(result.actual, forecast, result.mask),
            "mase": mase(result.actual, forecast, result.mask, scale),
            "seconds": round(result.seconds[name], 2),
        }
        for name, forecast in result.forecasts.items()
    }
    if LSTM in scores:
        scores[LSTM]["coverage_80"] = coverage(result.actual, result.interval, result.mask)
        scores[LSTM]["coverage_80_raw"] = coverage(result.actual, result.raw_interval, result.mask)
        scores[LSTM]["band_margin"] = round(float(np.mean(result.margins)), 4)
    return {
        "models": scores,
        "horizon": horizon,
        "holdout": holdout,
        "origins": len(starts),
        "series": len(panel.keys),
        "evaluated": int(result.mask.sum()),
    }
