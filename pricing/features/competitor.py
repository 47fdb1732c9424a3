"""Competitor price position per series and period."""

from __future__ import annotations

import pandas as pd

from pricing.data.schemas import KEY


def competitor_stats(competitors: pd.DataFrame, sales_features: pd.DataFrame) -> pd.DataFrame:
    """Min/mean rival price, how many were seen, and our price gap ratio (ours / min rival).

    Rival retailers and own-brand substitutes are kept apart: the gap is measured against
    rival retailers when there are any, else against substitutes.
    """
    keys = [*KEY, "event_timestamp"]
    rivals = competitors[competitors["competitor_type"] == "competitor"]
    chosen = rivals if not rivals.empty else competitors
    grouped = chosen.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "competitor_min_price": grouped["price"].min(),
            "competitor_mean_price": grouped["price"].mean(),
            "competitor_count": grouped["price"].count().astype("float64"),
            "created_timestamp": grouped["ingested_timestamp"].max(),
        }
    ).reset_index()
    ours = sales_features[[*keys, "last_price"]]
    out = out.merge(ours, on=keys, how="left")
    out["price_gap_ratio"] = out["last_price"] / out["competitor_min_price"]
    return out.drop(columns=["last_price"])
