"""The input columns a source table maps onto (``pricing data ingest --map``), and the seed's
own column names. Kept apart from the table schemas so the command line can list them in its
help without loading pandas."""

from __future__ import annotations

#: Canonical names accepted by ``pricing data ingest --map CANONICAL=COLUMN``.
CANONICAL_INPUTS = (
    "product_id",
    "location_id",
    "date",
    "units",
    "price",
    "competitor_price",
    "inventory",
    "promo",
    "stockout",
    "unit_cost",
    "pack_size",
    "category",
)
REQUIRED_INPUTS = ("product_id", "date", "units", "price")

#: The seed's sample format and its mapping into canonical names.
SEED_COLUMNS = {
    "product_id": "Product_ID",
    "date": "Date",
    "units": "Sales",
    "price": "Price",
    "competitor_price": "Competitor_Price",
    "inventory": "Inventory",
}
