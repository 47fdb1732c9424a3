"""Turn validated input rows into canonical tables, and merge batches into a home's tables.

Transforms only: frames in, frames out. Gaps in a series are reindexed as rows with
``observed=False`` and missing values (masked), never filled with zeros.
"""

from __future__ import annotations

import pandas as pd

from pricing.data.grain import period_end, period_range
from pricing.data.schemas import KEY, TABLE_KEYS, CanonicalBatch, conform

COMPETITOR_ID = "C1"


def batch_from_rows(rows: pd.DataFrame, grain: str, ingested_at: pd.Timestamp) -> CanonicalBatch:
    """Split validated wide rows (canonical input columns) into the canonical tables."""
    rows = rows.copy()
    rows["event_timestamp"] = period_end(rows["date"], grain)
    rows["ingested_timestamp"] = ingested_at
    sales = rows.assign(
        units_sold=rows["units"],
        revenue=rows["units"] * rows["price"],
        promo=rows["promo"].fillna(0.0) if "promo" in rows else 0.0,
        observed=True,
    )
    if "stockout" in rows:
        sales["stockout"] = rows["stockout"].fillna(0.0) > 0
    elif "inventory" in rows:
        # Ending the period with nothing on hand means sales may have been capped by stock.
        sales["stockout"] = rows["inventory"].fillna(1.0) <= 0
    else:
        sales["stockout"] = False
    batch = CanonicalBatch(freq=grain, sales=conform(sales, "sales"))
    if "inventory" in rows:
        stocked = rows[rows["inventory"].notna()]
        batch.inventory = conform(stocked.assign(on_hand=stocked["inventory"]), "inventory")
    if "competitor_price" in rows:
        seen = rows[rows["competitor_price"].notna()]
        batch.competitor_prices = conform(
            seen.assign(
                competitor_id=COMPETITOR_ID,
                competitor_type="competitor",
                price=seen["competitor_price"],
            ),
            "competitor_prices",
        )
    batch.products = products_from_rows(rows)
    return batch


def products_from_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per product: attributes given in the input, base price = median shelf price."""
    grouped = rows.groupby("product_id", sort=True)
    products = grouped["price"].median().rename("base_price").to_frame()
    for name in ("category", "unit_cost", "pack_size"):
        if name in rows:
            products[name] = grouped[name].agg(
                lambda s: s.dropna().iloc[-1] if s.notna().any() else pd.NA
            )
    return conform(products.reset_index(), "products")


def reindex_gaps(sales: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Add a masked row (observed=False, values missing) for every period a series skipped."""
    observed = sales[sales["observed"]]
    if observed.empty:
        return conform(observed, "sales")
    frames = []
    for (product, location), group in observed.groupby(KEY, sort=True):
        full = period_range(group["date"].min(), group["date"].max(), grain)
        missing = full.difference(pd.DatetimeIndex(group["date"]))
        if len(missing):
            frames.append(
                pd.DataFrame(
                    {
                        "product_id": product,
                        "location_id": location,
                        "date": missing,
                        "observed": False,
                        "stockout": False,
                    }
                )
            )
    if frames:
        gaps = pd.concat(frames, ignore_index=True)
        gaps["event_timestamp"] = period_end(gaps["date"], grain)
        gaps["ingested_timestamp"] = observed["ingested_timestamp"].max()
        observed = pd.concat([observed, conform(gaps, "sales")], ignore_index=True)
    return sort_table(conform(observed, "sales"), "sales")


def sort_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.sort_values(TABLE_KEYS[name], kind="stable").reset_index(drop=True)
