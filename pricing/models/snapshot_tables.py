"""Canonical tables rebuilt from a training snapshot, so training reads only the snapshot.

A snapshot row is a period (stamped at its start) with its labels; its competitor features
describe the period before. Rebuilding sales and one "lowest rival" price per period lets the
forecaster train on exactly the data the snapshot froze.
"""

from __future__ import annotations

import pandas as pd

from pricing.data.canonical import reindex_gaps
from pricing.data.grain import period_delta
from pricing.data.schemas import KEY, conform


def sales_from_snapshot(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """The observed sales of the snapshot, gaps re-masked, in the canonical layout."""
    start = pd.to_datetime(frame["event_timestamp"], utc=True)
    sales = frame[KEY].assign(
        date=start,
        event_timestamp=start + period_delta(grain),
        observed=True,
        units_sold=frame["units_sold"].astype(float),
        price=frame["price"].astype(float),
        revenue=frame["units_sold"].astype(float) * frame["price"].astype(float),
        promo=frame["promo"].astype(float),
        stockout=frame["stockout"].astype(bool),
        ingested_timestamp=start.max(),
    )
    return reindex_gaps(conform(sales, "sales"), grain)


def rivals_from_snapshot(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """The lowest rival price per period (the snapshot carries it one period later)."""
    if "competitor_min_price" not in frame:
        return conform(pd.DataFrame(columns=["product_id"]), "competitor_prices")
    seen = frame[frame["competitor_min_price"].notna()]
    start = pd.to_datetime(seen["event_timestamp"], utc=True) - period_delta(grain)
    rivals = seen[KEY].assign(
        competitor_id="min",
        competitor_type="competitor",
        date=start,
        event_timestamp=start + period_delta(grain),
        price=seen["competitor_min_price"].astype(float),
        ingested_timestamp=start.max(),
    )
    return conform(rivals, "competitor_prices")
