"""Forecast baselines the LSTM must beat: naive, seasonal naive, moving average, ETS, and a
price-aware regression.

Each takes the history (a ``Panel`` cut at the origin) and the planned prices/promo of the
horizon, shape (series, H), and returns point forecasts of the same shape. Only usable periods
(observed, not stocked out) count as evidence; masked gaps are never read as zeros.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import numpy as np

from pricing.models.series import Panel, ffill, future_dates, log_ratio, reference_price

logger = logging.getLogger(__name__)

Baseline = Callable[[Panel, np.ndarray, np.ndarray], np.ndarray]
#: History used by the per-series fits (periods): long enough for a level, short enough to
#: follow a drifting one, and bounded so ETS stays fast on hundreds of series.
FIT_WINDOW = {"daily": 365, "weekly": 104, "monthly": 60}


def _fallback(values: np.ndarray) -> np.ndarray:
    """NaN forecasts (series with no usable history) become zero: nothing to go on."""
    return np.where(np.isfinite(values), np.maximum(values, 0.0), 0.0)


def last_usable(panel: Panel) -> np.ndarray:
    """The most recent usable value per series (NaN if none)."""
    if not panel.units.shape[1]:
        return np.full(len(panel.keys), np.nan)
    return ffill(np.where(panel.usable, panel.units, np.nan))[:, -1]


def naive(history: Panel, price: np.ndarray, promo: np.ndarray) -> np.ndarray:
    """The last usable value, repeated over the horizon."""
    horizon = price.shape[1]
    return _fallback(np.repeat(last_usable(history)[:, None], horizon, axis=1))


def seasonal_naive(history: Panel, price: np.ndarray, promo: np.ndarray) -> np.ndarray:
    """The value one season before each target (or k seasons, if that one is masked).

    Falls back to the naive forecast where no usable value sits at the same seasonal phase,
    e.g. weekly history shorter than a year.
    """
    horizon, length, season = price.shape[1], history.units.shape[1], history.season
    values = np.where(history.usable, history.units, np.nan)
    out = np.full((len(history.keys), horizon), np.nan)
    for h in range(horizon):
        lag = season * (h // season + 1)  # the nearest whole seasons back inside the history
        while length + h - lag >= 0:
            column = values[:, length + h - lag]
            out[:, h] = np.where(np.isnan(out[:, h]), column, out[:, h])
            lag += season
    return _fallback(np.where(np.isfinite(out), out, naive(history, price, promo)))


def moving_average(history: Panel, price: np.ndarray, promo: np.ndarray) -> np.ndarray:
    """Mean of the last H usable values (H = horizon), repeated over the horizon."""
    horizon = price.shape[1]
    out = np.full(len(history.keys), np.nan)
    for i, (units, usable) in enumerate(zip(history.units, history.usable, strict=True)):
        recent = units[usable][-horizon:]
        if len(recent):
            out[i] = recent.mean()
    return _fallback(np.repeat(out[:, None], horizon, axis=1))


def _log_history(units: np.ndarray, usable: np.ndarray) -> np.ndarray | None:
    """log1p units from the first usable period, masked periods linearly interpolated."""
    index = np.flatnonzero(usable)
    if len(index) < 2:
        return None
    span = np.arange(index[0], len(units))
    return np.interp(span, index, np.log1p(units[index]))


def _ets_one(series: np.ndarray, horizon: int, season: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "add" if season > 1 and len(series) >= 3 * season else None
    model = ExponentialSmoothing(
        series,
        trend="add",
        damped_trend=True,
        seasonal=seasonal,
        seasonal_periods=season if seasonal else None,
        initialization_method="estimated",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model.fit(optimized=True, use_brute=False, method="L-BFGS-B")
        forecast = np.asarray(fitted.forecast(horizon), dtype=float)
    # A runaway trend on log units is a failed fit, not a forecast.
    top = series.max() + np.log(3.0)
    if not np.all(np.isfinite(forecast)) or forecast.max() > top:
        raise FloatingPointError("ETS forecast diverged")
    return np.expm1(np.maximum(forecast, 0.0))


def ets(history: Panel, price: np.ndarray, promo: np.ndarray) -> np.ndarray:
    """Damped additive-trend exponential smoothing on log1p units (additive seasonality when
    the grain's season is short enough to estimate: daily weeks, monthly years); naive where
    a fit fails or diverges."""
    horizon = price.shape[1]
    window = FIT_WINDOW[history.grain]
    season = history.season if history.grain != "weekly" else 1
    out = naive(history, price, promo)
    failed = 0
    for i, (units, usable) in enumerate(zip(history.units, history.usable, strict=True)):
        series = _log_history(units[-window:], usable[-window:])
        if series is None or len(series) < 6:
            continue
        try:
            out[i] = _ets_one(series, horizon, season)
        except Exception:  # statsmodels raises many types on degenerate series
            failed += 1
    if failed:
        logger.info("ETS fell back to naive on %d of %d series", failed, len(out))
    return out


def _design(log_price: np.ndarray, promo: np.ndarray, dow: np.ndarray | None) -> np.ndarray:
    """(..., T, K): level, log relative price, promo (and weekday dummies on daily data)."""
    columns = [np.ones_like(log_price), log_price, promo]
    if dow is not None:
        weekdays = np.broadcast_to(dow, log_price.shape)
        columns += [(weekdays == d).astype(float) for d in range(1, 7)]
    return np.stack(columns, axis=-1)


def log_linear_fit(
    history: Panel, ref: np.ndarray, window: int, ridge: float, weekdays: bool = False
) -> np.ndarray:
    """Per-series OLS of log1p units on a level, log(price / ref) and promo (and weekdays),
    over the usable periods of the last ``window``: coefficients (series, K).

    A ridge penalty (``ridge`` x usable periods, level unpenalised) keeps the price slope
    finite when a series' price never moved.
    """
    usable = history.usable[:, -window:]
    log_price = np.where(usable, log_ratio(history.price[:, -window:], ref[:, None], 5.0), 0.0)
    dow = history.dates.dayofweek.to_numpy()[-window:] if weekdays else None
    x = _design(log_price, np.where(usable, history.promo[:, -window:], 0.0), dow)
    x = x * usable[..., None]
    y = np.where(usable, np.log1p(np.nan_to_num(history.units[:, -window:])), 0.0)
    penalty = np.ones(x.shape[-1])
    penalty[0] = 1e-9
    gram = np.einsum("stk,stl->skl", x, x)
    gram += ridge * np.maximum(usable.sum(axis=1), 1)[:, None, None] * np.diag(penalty)
    return np.linalg.solve(gram, np.einsum("stk,st->sk", x, y)[..., None])[..., 0]


def price_regression(history: Panel, price: np.ndarray, promo: np.ndarray) -> np.ndarray:
    """Per-series log-linear demand (``log_linear_fit``, weekdays on daily data) evaluated at
    the planned prices and promo; naive where a series has under four usable periods."""
    horizon, window = price.shape[1], FIT_WINDOW[history.grain]
    ref = reference_price(history)
    daily = history.grain == "daily"
    beta = log_linear_fit(history, ref, window, ridge=1e-4, weekdays=daily)
    next_dow = future_dates(history, horizon).dayofweek.to_numpy() if daily else None
    future = _design(log_ratio(price, ref[:, None], 5.0), promo, next_dow)
    usable = history.usable[:, -window:]
    top = np.nanmax(np.where(usable, np.log1p(history.units[:, -window:]), -np.inf), axis=1)
    with np.errstate(all="ignore"):
        forecast = np.clip(np.expm1(np.einsum("shk,sk->sh", future, beta)), 0.0, None)
        forecast = np.minimum(forecast, np.expm1(top + np.log(3.0))[:, None])
    fitted = (usable.sum(axis=1) >= 4)[:, None] & np.isfinite(forecast)
    return np.where(fitted, forecast, naive(history, price, promo))


BASELINES: dict[str, Baseline] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "moving_average": moving_average,
    "ets": ets,
    "price_regression": price_regression,
}
