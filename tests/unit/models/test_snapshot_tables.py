"""Training reads only the snapshot: the canonical tables it rebuilds match the originals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.data.canonical import reindex_gaps
from pricing.data.schemas import conform
from pricing.models.snapshot_tables import rivals_from_snapshot, sales_from_snapshot


def snapshot_frame() -> pd.DataFrame:
    dates = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"], utc=True)
    return pd.DataFrame(
        {
            "product_id": "p",
            "location_id": "all",
            "event_timestamp": dates,
            "units_sold": [3.0, 4.0, 5.0],
            "price": [2.0, 2.0, 1.8],
            "promo": [0.0, 0.0, 1.0],
            "stockout": [False, True, False],
            "competitor_min_price": [np.nan, 2.1, 2.2],
        }
    )


def test_sales_round_trip_with_gaps_masked():
    sales = sales_from_snapshot(snapshot_frame(), "daily")
    assert sales["observed"].tolist() == [True, True, False, True]
    assert np.isnan(sales["units_sold"].iloc[2])
    assert sales["stockout"].tolist() == [False, True, False, False]
    assert (sales["event_timestamp"] - sales["date"]).eq(pd.Timedelta(days=1)).all()
    assert sales.equals(reindex_gaps(conform(sales[sales["observed"]], "sales"), "daily"))


def test_rival_prices_are_shifted_back_to_their_own_period():
    rivals = rivals_from_snapshot(snapshot_frame(), "daily")
    # The row of 2024-01-02 saw the rival price of 2024-01-01.
    assert rivals["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-03"]
    assert rivals["price"].tolist() == [2.1, 2.2]
