"""Dense panel views of the sales table (one row per series, one column per period), and the
network's input windows cut from them.

Forecasters and the backtest work on these arrays rather than on long frames, so cutting the
history at an origin is a column slice and nothing after it can leak in. Masked gap rows and
stock-outs stay visible as flags; they are never turned into true zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from pricing.data.grain import SEASON_LENGTH, period_delta, period_range
from pricing.features.calendar import calendar_features

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


# -- network inputs ---------------------------------------------------------------------------


def calendar_matrix(dates: pd.DatetimeIndex, grain: str) -> np.ndarray:
    """Calendar inputs per period: yearly cycle (two harmonics), holiday, weekday one-hot."""
    year = 2.0 * np.pi * dates.dayofyear.to_numpy() / 365.25
    holiday = calendar_features(dates, grain)["is_holiday"].to_numpy()
    columns = [np.sin(year), np.cos(year), np.sin(2 * year), np.cos(2 * year), holiday]
    if grain == "daily":
        columns += [(dates.dayofweek.to_numpy() == d).astype(float) for d in range(7)]
    return np.stack(columns, axis=-1).astype("float32").reshape(len(dates), -1)


@dataclass(frozen=True)
class Windows:
    """Training samples: lookback inputs (N, L, F), known horizon inputs (N, H, G), static
    inputs, ids, target + usable mask (N, H, 2), forecast start period and series row."""

    past: np.ndarray
    future: np.ndarray
    static: np.ndarray
    ids: np.ndarray
    target: np.ndarray
    start: np.ndarray
    row: np.ndarray

    def inputs(self) -> list[np.ndarray]:
        return network_inputs(self.past, self.future, self.static, self.ids)

    def take(self, index: np.ndarray) -> Windows:
        return Windows(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def split(self, cut: int) -> tuple[Windows, Windows]:
        """Windows starting before period ``cut``, and the rest (for early stopping)."""
        early = self.start < cut
        return self.take(early), self.take(~early)


def network_inputs(
    past: np.ndarray, future: np.ndarray, static: np.ndarray, ids: np.ndarray
) -> list[np.ndarray]:
    """The network's inputs in order: lookback, horizon, static, product id, location id."""
    return [past, future, static, ids[:, :1], ids[:, 1:]]


def log_ratio(a: np.ndarray, b: np.ndarray, bound: float) -> np.ndarray:
    """log(a / b) clipped to +-bound; 0 where either side is unknown."""
    with np.errstate(all="ignore"):
        out = np.log(a / b)
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0), -bound, bound)


def _period_inputs(
    panel: Panel, scale: np.ndarray, ref: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-period lookback inputs (S, T, F), filled prices and carried-forward rival prices.

    Unobserved periods enter as zero units with the usable flag off; stock-outs keep their
    (censored) units with a stock-out flag, so the network can learn to discount them.
    """
    price, rival = fill_prices(panel.price, ref), ffill(panel.rival)
    units = np.where(panel.observed, np.nan_to_num(panel.units) / scale[:, None], 0.0)
    relative = [log_ratio(price, ref[:, None], 1.0), panel.promo, log_ratio(price, rival, 2.0)]
    columns = [np.log1p(units), panel.usable, panel.stockout & panel.observed, *relative]
    stacked = np.stack([c.astype("float32") for c in columns], axis=-1)
    table = calendar_matrix(panel.dates, panel.grain)
    calendar = np.broadcast_to(table[None], (len(units), *table.shape))
    return np.concatenate([stacked, calendar], axis=-1), price, rival


def _horizon_inputs(
    price: np.ndarray, promo: np.ndarray, ref: np.ndarray, rival: np.ndarray, calendar: np.ndarray
) -> np.ndarray:
    """Known inputs per horizon step (N, H, G): planned price vs. the reference and vs. the last
    rival price seen at the origin, planned promo, the calendar, and which step it is."""
    n, horizon = price.shape
    step = np.broadcast_to(np.eye(horizon, dtype="float32"), (n, horizon, horizon))
    plan = [log_ratio(price, ref[:, None], 1.0), promo, log_ratio(price, rival[:, None], 2.0)]
    columns = np.stack(plan, axis=-1).astype("float32")
    calendar = np.broadcast_to(calendar, (n, *calendar.shape[-2:]))
    return np.concatenate([columns, calendar, step], axis=-1)


def training_windows(
    panel: Panel,
    scale: np.ndarray,
    ref: np.ndarray,
    static: np.ndarray,
    ids: np.ndarray,
    lookback: int,
    horizon: int,
) -> Windows:
    """Every (series, start) whose horizon ends inside the panel, with at least one usable
    period in its lookback and in its horizon; targets are units / scale."""
    inputs, price, rival = _period_inputs(panel, scale, ref)
    length, usable = panel.units.shape[1], panel.usable
    count = np.cumsum(np.pad(usable, ((0, 0), (1, 0))), axis=1)
    starts = np.arange(1, length - horizon + 1)
    target_ok = count[:, starts + horizon] - count[:, starts] > 0
    past_ok = count[:, starts] - count[:, np.maximum(starts - lookback, 0)] > 0
    rows, cols = np.nonzero(target_ok & past_ok)
    start = starts[cols]
    padded = np.pad(inputs, ((0, 0), (lookback, 0), (0, 0)))
    past = padded[rows[:, None], start[:, None] + np.arange(lookback)[None, :]]
    steps = start[:, None] + np.arange(horizon)[None, :]
    table = calendar_matrix(panel.dates, panel.grain)
    future = _horizon_inputs(
        price[rows[:, None], steps],
        panel.promo[rows[:, None], steps],
        ref[rows],
        rival[rows, start - 1],
        table[steps],
    )
    units = np.nan_to_num(panel.units[rows[:, None], steps]) / scale[rows, None]
    target = np.stack([units, usable[rows[:, None], steps]], axis=-1).astype("float32")
    return Windows(past, future, static[rows], ids[rows], target, start, rows)


def encoder_inputs(history: Panel, scale: np.ndarray, ref: np.ndarray, lookback: int) -> np.ndarray:
    """The last ``lookback`` periods of every series (zero-padded, flagged unobserved)."""
    inputs = _period_inputs(history, scale, ref)[0]
    padded = np.pad(inputs, ((0, 0), (max(lookback - inputs.shape[1], 0), 0), (0, 0)))
    return padded[:, -lookback:]


def decoder_inputs(
    history: Panel, ref: np.ndarray, price: np.ndarray, promo: np.ndarray
) -> np.ndarray:
    """Known inputs of the H periods after ``history`` at the planned prices and promo."""
    rival = ffill(history.rival)[:, -1]
    table = calendar_matrix(future_dates(history, price.shape[1]), history.grain)
    return _horizon_inputs(price, promo, ref, rival, table)
