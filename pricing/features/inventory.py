"""Inventory position per series at the END of each period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.data.schemas import KEY

#: Days in a period of each grain (a month: 365.25 / 12).
PERIOD_DAYS = {"daily": 1.0, "weekly": 7.0, "monthly": 30.4375}


def inventory_stats(
    inventory: pd.DataFrame, sales_features: pd.DataFrame, grain: str
) -> pd.DataFrame:
    """On hand, inbound and days of cover (on hand / recent daily sales rate).

    The sales rate is the 7-period moving average known at the same timestamp, so cover
    never uses sales from after the stock count.
    """
    stock = inventory[[*KEY, "event_timestamp", "on_hand", "inbound", "ingested_timestamp"]]
    rate = sales_features[[*KEY, "event_timestamp", "units_ma7"]]
    out = stock.merge(rate, on=[*KEY, "event_timestamp"], how="left")
    daily_rate = out["units_ma7"] / PERIOD_DAYS[grain]
    out["days_of_cover"] = (out["on_hand"] / daily_rate.where(daily_rate > 0)).replace(
        [np.inf, -np.inf], np.nan
    )
    out = out.rename(columns={"ingested_timestamp": "created_timestamp"})
    return (
        out.drop(columns=["units_ma7"])
        .sort_values([*KEY, "event_timestamp"])
        .reset_index(drop=True)
    )
