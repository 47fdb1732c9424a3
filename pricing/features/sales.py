"""Sales aggregates per series, stamped at the END of the period they summarise.

A row stamped at period t's end includes period t's units, so a decision made at the start
of period t (= end of t-1) only ever sees aggregates up to t-1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.data.schemas import KEY

WINDOWS = (7, 28)
#: A relative price change smaller than this is rounding, not a change.
PRICE_CHANGE = 1e-9


def sales_stats(sales: pd.DataFrame, windows: tuple[int, ...] = WINDOWS) -> pd.DataFrame:
    """Moving averages of units and revenue, trend, price change, promo; one row per period.

    Works on the gap-reindexed sales table: unobserved periods are NaN and simply drop out of
    the averages (``observed_share28`` says how much of the window was seen).
    """
    frame = sales.sort_values([*KEY, "date"]).reset_index(drop=True)
    grouped = frame.groupby(KEY, sort=False)
    out = frame[[*KEY, "event_timestamp"]].copy()
    out["created_timestamp"] = frame["ingested_timestamp"]
    for window in windows:
        for column, name in (("units_sold", "units"), ("revenue", "revenue")):
            out[f"{name}_ma{window}"] = grouped[column].transform(
                lambda s, w=window: s.rolling(w, min_periods=1).mean()
            )
    short, long = min(windows), max(windows)
    out["units_trend"] = (
        out[f"units_ma{short}"] / out[f"units_ma{long}"].where(out[f"units_ma{long}"] > 0) - 1.0
    )
    out["last_units"] = frame["units_sold"]
    price = grouped["price"].ffill()  # the price in effect persists over an unobserved period
    out["last_price"] = price
    previous = price.groupby([frame[k] for k in KEY], sort=False).shift(1)
    out["price_change"] = (price / previous - 1.0).fillna(0.0)
    series = grouped.ngroup()
    new_block = (out["price_change"].abs() > PRICE_CHANGE) | (series != series.shift())
    # 0 in the period of a change (or a series' first period), then 1, 2, ...
    out["periods_since_price_change"] = (
        frame.groupby(new_block.cumsum()).cumcount().astype("float64")
    )
    out["last_promo"] = frame["promo"].fillna(0.0)
    out["observed_share28"] = grouped["observed"].transform(
        lambda s: s.astype(float).rolling(long, min_periods=1).mean()
    )
    return out.replace([np.inf, -np.inf], np.nan)
