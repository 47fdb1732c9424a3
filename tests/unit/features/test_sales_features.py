"""Sales aggregates: stamped at the period's end, never leaking a period into its own past."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.data.canonical import reindex_gaps
from pricing.data.schemas import conform
from pricing.features.calendar import calendar_features
from pricing.features.competitor import competitor_stats
from pricing.features.inventory import inventory_stats
from pricing.features.sales import sales_stats


def sales_frame(units: list[float | None], prices: list[float], start: str = "2024-01-01"):
    dates = pd.date_range(start, periods=len(units), freq="D", tz="UTC")
    frame = pd.DataFrame(
        {
            "product_id": "p",
            "location_id": "all",
            "date": dates,
            "event_timestamp": dates + pd.Timedelta(days=1),
            "observed": [u is not None for u in units],
            "units_sold": [np.nan if u is None else u for u in units],
            "price": prices,
            "promo": 0.0,
            "stockout": False,
            "ingested_timestamp": dates[-1],
        }
    )
    return conform(frame, "sales")


def test_moving_average_row_at_period_end_includes_only_that_period_and_before():
    sales = sales_frame([1, 2, 3, 4, 5, 6, 7, 8, 100], [2.0] * 9)
    stats = sales_stats(sales)
    # The row stamped at the end of day 9 includes day 9 (100); the one before does not.
    assert stats["event_timestamp"].iloc[-1] == pd.Timestamp("2024-01-10", tz="UTC")
    assert stats["units_ma7"].iloc[-1] == pytest.approx(np.mean([3, 4, 5, 6, 7, 8, 100]))
    assert stats["units_ma7"].iloc[-2] == pytest.approx(np.mean([2, 3, 4, 5, 6, 7, 8]))
    # A decision at the START of day 9 (= end of day 8) sees the second-to-last row only.
    decision = pd.Timestamp("2024-01-09", tz="UTC")
    visible = stats[stats["event_timestamp"] <= decision]
    assert visible["units_ma7"].iloc[-1] == pytest.approx(np.mean([2, 3, 4, 5, 6, 7, 8]))


def test_gaps_are_masked_not_zero_filled():
    sales = sales_frame([10, 10, None, 10], [2.0] * 4)
    sales = sales[sales["observed"]]
    filled = reindex_gaps(sales, "daily")
    assert len(filled) == 4 and filled["observed"].tolist() == [True, True, False, True]
    assert np.isnan(filled["units_sold"].iloc[2])
    stats = sales_stats(filled)
    assert stats["units_ma7"].tolist() == [10.0, 10.0, 10.0, 10.0]  # a zero would pull it down
    assert stats["observed_share28"].iloc[-1] == pytest.approx(0.75)
    assert stats["last_price"].iloc[2] == 2.0  # the price in effect persists over the gap


def test_price_change_and_periods_since_change():
    stats = sales_stats(sales_frame([5] * 6, [2.0, 2.0, 2.5, 2.5, 2.5, 2.0]))
    assert stats["price_change"].round(4).tolist() == [0.0, 0.0, 0.25, 0.0, 0.0, -0.2]
    assert stats["periods_since_price_change"].tolist() == [0, 1, 0, 1, 2, 0]


def test_competitor_gap_and_inventory_cover():
    sales = sales_frame([7] * 7, [2.0] * 7)
    stats = sales_stats(sales)
    comp = pd.DataFrame(
        {
            "product_id": "p",
            "location_id": "all",
            "competitor_id": ["a", "b"] * 7,
            "competitor_type": "competitor",
            "date": np.repeat(sales["date"].to_numpy(), 2),
            "event_timestamp": np.repeat(sales["event_timestamp"].to_numpy(), 2),
            "price": [1.6, 2.4] * 7,
            "ingested_timestamp": sales["ingested_timestamp"].iloc[0],
        }
    )
    out = competitor_stats(conform(comp, "competitor_prices"), stats)
    assert out["competitor_min_price"].iloc[0] == 1.6
    assert out["competitor_mean_price"].iloc[0] == pytest.approx(2.0)
    assert out["price_gap_ratio"].iloc[0] == pytest.approx(2.0 / 1.6)
    inv = sales.assign(on_hand=21.0, inbound=0.0)[
        [
            "product_id",
            "location_id",
            "date",
            "event_timestamp",
            "on_hand",
            "inbound",
            "ingested_timestamp",
        ]
    ]
    cover = inventory_stats(conform(inv, "inventory"), stats, "daily")
    assert cover["days_of_cover"].iloc[-1] == pytest.approx(3.0)  # 21 units at 7 a day
    weekly = inventory_stats(conform(inv, "inventory"), stats, "weekly")
    assert weekly["days_of_cover"].iloc[-1] == pytest.approx(21.0)  # 7 a week = 1 a day


def test_calendar_features_describe_the_period_that_starts():
    when = pd.Series(pd.to_datetime(["2024-12-25", "2024-07-01", "2024-12-23"], utc=True))
    cal = calendar_features(when, "daily")
    assert cal["is_holiday"].tolist() == [1.0, 0.0, 0.0]
    assert cal["season"].tolist() == [0, 2, 0]
    assert cal["day_of_week"].tolist() == [2, 0, 0]
    assert calendar_features(when.iloc[[2]], "weekly")["is_holiday"].tolist() == [1.0]
