"""Calendar features computed from a timestamp: the same function offline and online.

They describe the period that STARTS at the timestamp (the period being priced).
"""

from __future__ import annotations

from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

CALENDAR_FEATURES = ("day_of_week", "month", "week_of_year", "is_holiday", "season")
_PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 31}


@lru_cache(maxsize=64)
def _holiday_dates(year: int) -> frozenset:
    return frozenset(holidays.country_holidays("US", years=year).keys())


def holiday_flags(starts: pd.DatetimeIndex, days: int) -> np.ndarray:
    """1.0 where a public holiday falls within ``days`` days from each start."""
    out = np.zeros(len(starts))
    if not len(starts):
        return out
    years = range(starts.min().year, starts.max().year + 2)
    dates = {d for y in years for d in _holiday_dates(y)}
    for offset in range(days):
        shifted = (starts + pd.Timedelta(days=offset)).date
        out = np.maximum(out, np.fromiter((d in dates for d in shifted), float, len(starts)))
    return out


def calendar_features(when: pd.Series | pd.DatetimeIndex, grain: str) -> pd.DataFrame:
    """Day of week, month, ISO week, holiday flag and season (0 winter .. 3 autumn)."""
    starts = pd.DatetimeIndex(pd.to_datetime(when, utc=True))
    month = starts.month.to_numpy()
    frame = pd.DataFrame(
        {
            "day_of_week": starts.dayofweek.to_numpy(dtype="int64"),
            "month": month.astype("int64"),
            "week_of_year": starts.isocalendar().week.to_numpy(dtype="int64"),
            "is_holiday": holiday_flags(starts.normalize(), _PERIOD_DAYS[grain]),
            "season": ((month % 12) // 3).astype("int64"),
        }
    )
    if isinstance(when, pd.Series):
        frame.index = when.index
    return frame
