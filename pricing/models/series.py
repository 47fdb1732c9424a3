"""Dense panel views of the sales table: one row per series, one column per period.

Forecasters and the backtest work on these arrays rather than on long frames, so cutting the
history at an origin is a column slice and nothing after it can leak in. Masked gap rows and
stock-outs stay visible as flags; they are never turned into true zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pricing.data.grain import SEASON_LENGTH, period_delta, period_range

SERIES_KEY = ["product_id", "location_id"]
#: Default forecast horizon (periods) and backtest holdout per grain.
DEFAULT_HORIZON = {"daily": 7, "weekly": 4, "monthly": 3}
DEFAULT_HOLDOUT = {"daily": 28, "weekly": 12, "monthly": 6}
QUANTILES = (0.1, 0.5, 0.9)
_ARRAYS = ("units", "price", "promo", "observed", "stockout", "rival")


@dataclass(frozen=True)
class Panel:
    """Series x periods arrays of one grain; ``units``, ``price``, ``rival`` are NaN if unknown."""

    keys: pd.DataFrame
    dates: pd.DatetimeIndex
    grain: str
    units: np.ndarray
    price: np.ndarray
    promo: np.ndarray
    observed: np.ndarray
    stockout: np.ndarray
    rival: np.ndarray  # lowest rival price of the period

    @property
    def usable(self) -> np.ndarray:
        """Periods whose units are true demand: observed, not censored by stock."""
        return self.observed & ~self.stockout & np.isfinite(self.units)

    @property
    def season(self) -> int:
        return SEASON_LENGTH[self.grain]

    def head(self, end: int) -> Panel:
        """The history strictly before period index ``end`` (a forecast origin)."""
        cut = {name: getattr(self, name)[:, :end] for name in _ARRAYS}
        return replace(self, dates=self.dates[:end], **cut)


def _pivot(
    frame: pd.DataFrame, keys: pd.DataFrame, dates: pd.DatetimeIndex, column: str, fill: float
) -> np.ndarray:
    """Place ``frame[column]`` on the (series, date) grid; cells absent from it get ``fill``."""
    out = np.full((len(keys), len(dates)), fill, dtype=float)
    if frame.empty:
        return out
    index = pd.MultiIndex.from_frame(keys.astype(str))
    rows = index.get_indexer(pd.MultiIndex.from_frame(frame[SERIES_KEY].astype(str)))
    cols = dates.get_indexer(pd.DatetimeIndex(pd.to_datetime(frame["date"], utc=True)))
    ok = (rows >= 0) & (cols >= 0)
    out[rows[ok], cols[ok]] = pd.to_numeric(frame[column]).to_numpy(dtype=float)[ok]
    return out


def build_panel(
    sales: pd.DataFrame,
    competitor_prices: pd.DataFrame | None,
    grain: str,
    end: pd.Timestamp | None = None,
    keys: pd.DataFrame | None = None,
) -> Panel:
    """Pivot canonical sales, and the lowest rival price of each period (competitors and
    substitutes alike), onto a complete calendar of periods.

    ``end`` extends the calendar past the last sale; ``keys`` fixes which series appear and in
    what order (series without sales get empty rows).
    """
    dates = pd.to_datetime(sales["date"], utc=True)
    if keys is None:
        keys = sales[SERIES_KEY].drop_duplicates().sort_values(SERIES_KEY)
    keys = keys[SERIES_KEY].astype(str).reset_index(drop=True)
    last = dates.max() if end is None or dates.max() >= end else end
    calendar = period_range(dates.min() if len(dates) else end, last, grain)
    observed = sales[sales["observed"].astype(bool)] if "observed" in sales else sales
    units = _pivot(observed, keys, calendar, "units_sold", np.nan)
    seen = _pivot(observed.assign(one=1.0), keys, calendar, "one", 0.0) > 0
    stock = observed.assign(stockout=observed["stockout"].astype(float))
    rivals = competitor_prices if competitor_prices is not None else sales.iloc[:0]
    rivals = rivals[rivals["price"] > 0].groupby([*SERIES_KEY, "date"], observed=True)["price"]
    return Panel(
        keys=keys,
        dates=calendar,
        grain=grain,
        units=units,
        price=_pivot(observed, keys, calendar, "price", np.nan),
        promo=np.nan_to_num(_pivot(observed, keys, calendar, "promo", 0.0)),
        observed=seen & np.isfinite(units),
        stockout=_pivot(stock, keys, calendar, "stockout", 0.0) > 0,
        rival=_pivot(rivals.min().reset_index(), keys, calendar, "price", np.nan),
    )


def ffill(values: np.ndarray) -> np.ndarray:
    """Carry the last finite value forward along time (row-wise); leading NaNs stay NaN."""
    index = np.where(np.isfinite(values), np.arange(values.shape[1])[None, :], 0)
    np.maximum.accumulate(index, axis=1, out=index)
    out = np.take_along_axis(values, index, axis=1)
    out[~np.isfinite(out)] = np.nan
    return out


def fill_prices(values: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Prices with gaps carried forward, leading gaps back-filled, else the series fallback."""
    out = ffill(values)
    back = ffill(out[:, ::-1])[:, ::-1]
    out = np.where(np.isfinite(out), out, back)
    return np.where(np.isfinite(out), out, fallback[:, None])


def reference_price(panel: Panel) -> np.ndarray:
    """Each series' median observed price (its "normal" price); 1.0 if it never sold."""
    prices = np.where(panel.observed, panel.price, np.nan)
    ref = np.full(len(prices), np.nan)
    seen = np.isfinite(prices).any(axis=1)
    ref[seen] = np.nanmedian(prices[seen], axis=1)
    return np.where(np.isfinite(ref) & (ref > 0), ref, 1.0)


def series_scale(panel: Panel) -> np.ndarray:
    """Mean usable units per series (the per-series scale); 1.0 when nothing is usable."""
    usable = panel.usable
    total = np.where(usable, panel.units, 0.0).sum(axis=1)
    count = usable.sum(axis=1)
    scale = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return np.where(scale > 0, scale, 1.0)


def future_dates(panel: Panel, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` period starts right after the panel's last period."""
    last = panel.dates[-1]
    return period_range(last, last + period_delta(panel.grain) * horizon, panel.grain)[1:]


def plan_arrays(
    history: Panel, dates: pd.DatetimeIndex, plan: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Planned price and promo (series, H) from a long frame; a missing price repeats the last
    one known (planned or past), a missing promo is none."""
    frame = plan.assign(date=pd.to_datetime(plan["date"], utc=True), promo=plan.get("promo", 0.0))
    price = _pivot(frame, history.keys, dates, "price", np.nan)
    promo = np.nan_to_num(_pivot(frame, history.keys, dates, "promo", 0.0))
    last = fill_prices(history.price, reference_price(history))[:, -1:]
    return ffill(np.concatenate([last, price], axis=1))[:, 1:], promo


def log_ratio(a: np.ndarray, b: np.ndarray, bound: float) -> np.ndarray:
    """log(a / b) clipped to +-bound; 0 where either side is unknown."""
    with np.errstate(all="ignore"):
        out = np.log(a / b)
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0), -bound, bound)
