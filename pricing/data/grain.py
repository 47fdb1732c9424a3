"""Grain (period length) of a home's data: inferred at the first ingest, then enforced.

Feature windows are counted in periods, so every stage needs to know one period's length.
"""

from __future__ import annotations

import pandas as pd

#: Grain name -> pandas offset alias for one period.
FREQS = {"daily": "D", "weekly": "W", "monthly": "MS"}
#: How many periods one seasonal cycle spans (for seasonal-naive baselines and calendars).
SEASON_LENGTH = {"daily": 7, "weekly": 52, "monthly": 12}


class GrainError(ValueError):
    """The data's period length cannot be inferred or does not match the home's."""


def infer_grain(dates: pd.Series, series_keys: pd.DataFrame | None = None) -> str:
    """Infer 'daily', 'weekly' or 'monthly' from the spacing of dates within each series.

    The modal gap between consecutive distinct dates decides; gaps (missing periods) are
    multiples of it and do not change the answer.
    """
    frame = pd.DataFrame({"date": pd.to_datetime(dates, utc=True)})
    group = (
        series_keys.astype(str).agg("|".join, axis=1).to_numpy() if series_keys is not None else 0
    )
    frame["series"] = group
    frame = frame.drop_duplicates().sort_values(["series", "date"])
    gaps = frame.groupby("series")["date"].diff().dropna().dt.days
    if gaps.empty:
        distinct = frame["date"].drop_duplicates().sort_values().diff().dropna().dt.days
        gaps = distinct
    if gaps.empty:
        raise GrainError("cannot infer the grain from a single date; ingest at least two periods")
    modal = int(gaps.mode().iloc[0])
    if modal == 1:
        return "daily"
    if modal == 7:
        off_grid = gaps[gaps % 7 != 0]
        if not off_grid.empty:
            raise GrainError(
                f"irregular spacing: the data look weekly but {len(off_grid)} gap(s) between "
                f"consecutive dates of a series are not whole weeks (e.g. {int(off_grid.iloc[0])} "
                "days)"
            )
        return "weekly"
    if 28 <= modal <= 31:
        not_start = frame["date"][frame["date"].dt.day != 1]
        if not not_start.empty:
            raise GrainError(
                "monthly data must be dated on the first day of each month (the period start); "
                f"got {not_start.iloc[0]:%Y-%m-%d}"
            )
        return "monthly"
    raise GrainError(
        f"cannot infer the grain: the most common gap between dates is {modal} days "
        "(expected 1, 7 or 28-31)"
    )


def normalize_grain(value: str) -> str:
    """Accept a grain name or a pandas alias ('D', 'W', 'MS') and return the grain name."""
    aliases = {"d": "daily", "w": "weekly", "ms": "monthly", "m": "monthly"}
    name = aliases.get(value.lower(), value.lower())
    if name not in FREQS:
        raise GrainError(f"unknown grain {value!r}; expected one of {sorted(FREQS)}")
    return name


def period_delta(grain: str) -> pd.DateOffset:
    """One period as an offset (a month is a calendar month, not 30 days)."""
    if grain == "daily":
        return pd.DateOffset(days=1)
    if grain == "weekly":
        return pd.DateOffset(days=7)
    if grain == "monthly":
        return pd.DateOffset(months=1)
    raise GrainError(f"unknown grain {grain!r}; expected one of {sorted(FREQS)}")


def period_end(dates: pd.Series, grain: str) -> pd.Series:
    """Event timestamp of each period: its END (exclusive), so it carries nothing later."""
    return pd.to_datetime(dates, utc=True) + period_delta(grain)


def period_range(start: pd.Timestamp, end: pd.Timestamp, grain: str) -> pd.DatetimeIndex:
    """All period starts from ``start`` to ``end`` inclusive, on the grain's calendar."""
    if grain == "monthly":
        return pd.date_range(start, end, freq="MS")
    return pd.date_range(start, end, freq="D" if grain == "daily" else "7D")


def ttl_periods(grain: str, periods: int) -> pd.Timedelta:
    """A duration of ``periods`` periods (months counted as 31 days) for Feast ttl."""
    days = {"daily": 1, "weekly": 7, "monthly": 31}[grain]
    return pd.Timedelta(days=days * periods)


def period_start_of(when: pd.Timestamp, grain: str, anchor: pd.Timestamp) -> pd.Timestamp:
    """Start of the period holding ``when``; weeks are counted from ``anchor`` (a period
    start of the home: real weekly data need not start on a Monday)."""
    when = when.tz_convert("UTC") if when.tzinfo else when.tz_localize("UTC")
    if grain == "daily":
        return when.floor("D")
    if grain == "monthly":
        return pd.Timestamp(year=when.year, month=when.month, day=1, tz="UTC")
    weeks = (when - anchor) // pd.Timedelta(days=7)
    return anchor + pd.Timedelta(days=7) * weeks
