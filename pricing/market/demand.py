"""The true demand model of the simulated market: the one place it is written down.

The simulator draws sales from it, and the oracle and the benchmark query it at any price, so
everything that needs "true expected units" calls these functions rather than re-deriving them.
All functions broadcast: dates along the last axis, prices as scalars or arrays.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import TypeAlias

import holidays
import numpy as np
import pandas as pd

from pricing.market.params import ProductParams

#: Trend epoch: fixed so that the same calendar date always yields the same demand.
EPOCH = np.datetime64("2020-01-01", "D")
DAYS_PER_YEAR = 365.25

When: TypeAlias = pd.Timestamp | pd.DatetimeIndex | datetime | date | str | np.datetime64
ArrayLike: TypeAlias = float | np.ndarray | pd.Series


def _utc_days(when: When | pd.Series) -> tuple[pd.DatetimeIndex, bool]:
    """Calendar days (UTC) of ``when`` and whether it was a single instant."""
    scalar = isinstance(when, datetime | date | str | np.datetime64)
    index = (
        when if isinstance(when, pd.DatetimeIndex) else pd.DatetimeIndex([when] if scalar else when)
    )
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.normalize(), scalar


@lru_cache(maxsize=32)
def _us_holidays(first_year: int, last_year: int) -> np.ndarray:
    """US public holidays (observed dates included) as ``datetime64[D]`` for a year span."""
    calendar = holidays.country_holidays("US", years=range(first_year, last_year + 1))
    dates = np.array(sorted(calendar), dtype="datetime64[D]")
    dates.setflags(write=False)  # shared by the cache
    return dates


def _holiday_mask(days: pd.DatetimeIndex) -> np.ndarray:
    values = days.tz_localize(None).to_numpy().astype("datetime64[D]")
    return np.isin(values, _us_holidays(int(days.year.min()), int(days.year.max())))


def is_holiday(when: When) -> np.ndarray:
    """True on US public holidays; a holiday lifts demand by the product's ``holiday_lift``."""
    days, scalar = _utc_days(when)
    flags = _holiday_mask(days)
    return flags[0] if scalar else flags


def seasonal_factor(params: ProductParams, when: When) -> np.ndarray:
    """Expected units at the reference prices, no promo: everything but the price terms.

    base_demand * weekly[dow] * yearly(doy) * (1 + trend)**years * holiday_lift(if holiday).
    """
    days, scalar = _utc_days(when)
    values = days.tz_localize(None).to_numpy().astype("datetime64[D]")
    weekly = np.asarray(params.weekly, dtype=float)[days.dayofweek.to_numpy()]
    doy = days.dayofyear.to_numpy(dtype=float)
    yearly = 1.0 + params.yearly_amplitude * np.cos(
        2.0 * np.pi * (doy / DAYS_PER_YEAR - params.yearly_phase)
    )
    years = (values - EPOCH).astype(float) / DAYS_PER_YEAR
    trend = (1.0 + params.trend) ** years
    holiday = np.where(_holiday_mask(days), params.holiday_lift, 1.0)
    factor = params.base_demand * weekly * yearly * trend * holiday
    return factor[0] if scalar else factor


def price_factor(
    params: ProductParams,
    price: ArrayLike,
    competitor_price: ArrayLike,
    promo: ArrayLike = 0.0,
) -> np.ndarray:
    """Multiplier of demand from our price, the competitor's price and the promo display.

    Constant elasticities: (p / ref)**elasticity * (c / c_ref)**cross * (1 + promo_lift * promo).
    """
    own = (np.asarray(price, dtype=float) / params.ref_price) ** params.elasticity
    cross = (
        np.asarray(competitor_price, dtype=float) / params.competitor_ref_price
    ) ** params.cross_elasticity
    return own * cross * (1.0 + params.promo_lift * np.asarray(promo, dtype=float))


def true_expected_units(
    params: ProductParams,
    price: ArrayLike,
    competitor_price: ArrayLike,
    when: When,
    promo: ArrayLike = 0.0,
) -> np.ndarray:
    """True expected units per day: ``seasonal_factor * price_factor``, broadcast together.

    ``when`` is a date (period start, UTC) or a DatetimeIndex; prices broadcast against it, so a
    price ladder of shape (K, 1) against T dates gives a (K, T) grid.
    """
    return seasonal_factor(params, when) * price_factor(params, price, competitor_price, promo)
