"""Canonical tables: the data contract every loader produces and every stage reads.

A row's ``date`` is the START of its period; ``event_timestamp`` is the period's END (UTC), so
an aggregate over a period never carries data from after its timestamp. ``ingested_timestamp``
records when the row entered the home (for point-in-time joins and audits).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

DEFAULT_LOCATION = "all"
KEY = ["product_id", "location_id"]

PRODUCT_COLUMNS = {
    "product_id": "string",
    "category": "string",
    "unit_cost": "float64",
    "pack_size": "float64",
    "base_price": "float64",
    "min_price": "float64",
    "max_price": "float64",
}
SALES_COLUMNS = {
    "product_id": "string",
    "location_id": "string",
    "date": "datetime64[us, UTC]",
    "event_timestamp": "datetime64[us, UTC]",
    "observed": "bool",
    "units_sold": "float64",
    "price": "float64",
    "revenue": "float64",
    "promo": "float64",
    "stockout": "bool",
    "ingested_timestamp": "datetime64[us, UTC]",
}
INVENTORY_COLUMNS = {
    "product_id": "string",
    "location_id": "string",
    "date": "datetime64[us, UTC]",
    "event_timestamp": "datetime64[us, UTC]",
    "on_hand": "float64",
    "inbound": "float64",
    "ingested_timestamp": "datetime64[us, UTC]",
}
COMPETITOR_COLUMNS = {
    "product_id": "string",
    "location_id": "string",
    "competitor_id": "string",
    "competitor_type": "string",
    "date": "datetime64[us, UTC]",
    "event_timestamp": "datetime64[us, UTC]",
    "price": "float64",
    "ingested_timestamp": "datetime64[us, UTC]",
}

TABLES = {
    "products": PRODUCT_COLUMNS,
    "sales": SALES_COLUMNS,
    "inventory": INVENTORY_COLUMNS,
    "competitor_prices": COMPETITOR_COLUMNS,
}
#: Unique key of each table.
TABLE_KEYS = {
    "products": ["product_id"],
    "sales": ["product_id", "location_id", "date"],
    "inventory": ["product_id", "location_id", "date"],
    "competitor_prices": ["product_id", "location_id", "competitor_id", "date"],
}


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of table ``name``."""
    return conform(pd.DataFrame(columns=list(TABLES[name])), name)


def conform(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Select and cast the canonical columns of table ``name`` (missing optional ones as NA)."""
    columns = TABLES[name]
    out = pd.DataFrame(index=frame.index)
    for column, dtype in columns.items():
        values = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index)
        if str(values.dtype) == dtype:
            out[column] = values  # already right: converting again costs seconds on big tables
        elif dtype.startswith("datetime64"):
            out[column] = pd.to_datetime(values, utc=True).astype(dtype)
        elif dtype == "bool":
            out[column] = values.fillna(False).astype(bool)
        elif dtype == "float64":
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[column] = values.astype(dtype)
    return out.reset_index(drop=True)


@dataclass
class CanonicalBatch:
    """One consistent set of canonical tables, as produced by a loader or the simulator."""

    freq: str  # grain: daily | weekly | monthly (pandas aliases accepted)
    products: pd.DataFrame = field(default_factory=lambda: empty_table("products"))
    sales: pd.DataFrame = field(default_factory=lambda: empty_table("sales"))
    inventory: pd.DataFrame = field(default_factory=lambda: empty_table("inventory"))
    competitor_prices: pd.DataFrame = field(
        default_factory=lambda: empty_table("competitor_prices")
    )

    def __post_init__(self) -> None:
        from pricing.data.grain import normalize_grain

        self.freq = normalize_grain(self.freq)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}
