"""Inventory and days of cover: stock on hand over the recent rate of sale."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.data.schemas import KEY

#: Periods of sales the rate of sale is averaged over.
RATE_WINDOW = 7


def cover(inventory: pd.DataFrame, sales: pd.DataFrame, window: int = RATE_WINDOW) -> pd.DataFrame:
    """Per (series, date): on hand, inbound, units sold, the trailing mean rate of sale over
    ``window`` periods and cover = on hand / rate, in periods (NaN when nothing sells)."""
    units = sales.loc[sales["observed"], [*KEY, "date", "units_sold"]]
    out = inventory[[*KEY, "date", "on_hand", "inbound"]].merge(
        units, on=[*KEY, "date"], how="left"
    )
    out = out.sort_values([*KEY, "date"]).reset_index(drop=True)
    rolled = out.groupby(KEY, sort=False)["units_sold"].rolling(window, min_periods=1).mean()
    rate = rolled.droplevel(list(range(len(KEY))))
    out["rate"] = rate
    out["cover"] = out["on_hand"] / rate.where(rate > 0, np.nan)
    return out


def latest_cover(frame: pd.DataFrame) -> pd.DataFrame:
    """Each series' latest row of :func:`cover`, lowest cover first (what runs out first)."""
    latest = frame.sort_values("date").drop_duplicates(KEY, keep="last")
    return latest.sort_values("cover", na_position="last").reset_index(drop=True)
