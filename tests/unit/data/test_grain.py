"""Grain inference and period arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

from pricing.data.grain import (
    GrainError,
    infer_grain,
    normalize_grain,
    period_end,
    period_range,
)


def _dates(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


def test_daily() -> None:
    assert infer_grain(_dates("2024-01-01", "2024-01-02", "2024-01-03")) == "daily"


def test_daily_with_gaps() -> None:
    assert (
        infer_grain(_dates("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-07", "2024-01-08"))
        == "daily"
    )


def test_weekly_with_gaps() -> None:
    assert (
        infer_grain(_dates("2024-01-01", "2024-01-08", "2024-01-15", "2024-02-05", "2024-02-12"))
        == "weekly"
    )


def test_monthly_on_first_of_month_with_gap() -> None:
    dates = _dates("2024-01-01", "2024-02-01", "2024-03-01", "2024-06-01", "2024-07-01")
    assert infer_grain(dates) == "monthly"


def test_grain_is_read_within_each_series() -> None:
    # Two weekly series on different weekdays: pooled, consecutive dates are 1-6 days apart.
    dates = _dates(
        "2024-01-01", "2024-01-08", "2024-01-15", "2024-01-04", "2024-01-11", "2024-01-18"
    )
    keys = pd.DataFrame({"product_id": ["a"] * 3 + ["b"] * 3, "location_id": ["all"] * 6})
    assert infer_grain(dates, keys) == "weekly"


def test_series_with_one_date_each_fall_back_to_distinct_dates() -> None:
    dates = _dates("2024-01-01", "2024-01-08", "2024-01-15")
    keys = pd.DataFrame({"product_id": ["a", "b", "c"], "location_id": ["all"] * 3})
    assert infer_grain(dates, keys) == "weekly"


def test_single_date_is_an_error() -> None:
    with pytest.raises(GrainError, match="single date"):
        infer_grain(_dates("2024-01-01", "2024-01-01"))


def test_irregular_spacing_is_an_error() -> None:
    with pytest.raises(GrainError, match="most common gap between dates is 3 days"):
        infer_grain(_dates("2024-01-01", "2024-01-04", "2024-01-07", "2024-01-17"))


def test_off_grid_date_in_weekly_series_is_an_error() -> None:
    with pytest.raises(GrainError, match="not whole weeks"):
        infer_grain(_dates("2024-01-01", "2024-01-08", "2024-01-18", "2024-01-25", "2024-02-01"))


def test_monthly_dates_must_be_period_starts() -> None:
    with pytest.raises(GrainError, match=r"first day of each month.*2024-01-15"):
        infer_grain(_dates("2024-01-15", "2024-02-15", "2024-03-15"))


def test_period_end_is_next_period_start() -> None:
    starts = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-31"], utc=True))
    assert period_end(starts, "daily").tolist() == [
        pd.Timestamp("2024-01-02", tz="UTC"),
        pd.Timestamp("2024-02-01", tz="UTC"),
    ]
    assert period_end(starts, "weekly").iloc[0] == pd.Timestamp("2024-01-08", tz="UTC")


def test_monthly_period_end_is_next_month_start() -> None:
    starts = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-12-01"], utc=True))
    assert period_end(starts, "monthly").tolist() == [
        pd.Timestamp("2024-02-01", tz="UTC"),
        pd.Timestamp("2024-03-01", tz="UTC"),
        pd.Timestamp("2025-01-01", tz="UTC"),
    ]


def test_period_range_follows_the_grain() -> None:
    start, end = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-01", tz="UTC")
    assert len(period_range(start, end, "monthly")) == 3
    assert len(period_range(start, end, "daily")) == 61
    assert period_range(start, pd.Timestamp("2024-01-29", tz="UTC"), "weekly")[-1].day == 29


@pytest.mark.parametrize(
    ("alias", "name"),
    [("D", "daily"), ("W", "weekly"), ("MS", "monthly"), ("M", "monthly"), ("Weekly", "weekly")],
)
def test_normalize_grain(alias: str, name: str) -> None:
    assert normalize_grain(alias) == name


def test_unknown_grain() -> None:
    with pytest.raises(GrainError, match="unknown grain 'hourly'"):
        normalize_grain("hourly")
