"""Pickers over many series: the catalogue of (category, product, location) to choose from."""

from __future__ import annotations

import pandas as pd

from pricing.data.schemas import KEY

UNCATEGORISED = "(no category)"


def catalogue(sales: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """One row per sold series with its category, sorted: what the product pickers offer
    (category first, then product, then location, so 900 series stay easy to browse)."""
    series = sales[KEY].drop_duplicates()
    categories = products.drop_duplicates("product_id").set_index("product_id")["category"]
    out = series.assign(category=series["product_id"].map(categories))
    out["category"] = out["category"].astype("string").fillna(UNCATEGORISED)
    out = out[["category", *KEY]].astype(str)
    return out.sort_values(["category", *KEY]).reset_index(drop=True)


def one_series(frame: pd.DataFrame, product: str, location: str) -> pd.DataFrame:
    """The rows of one (product, location), in date order."""
    mask = (frame["product_id"] == product) & (frame["location_id"] == location)
    return frame[mask].sort_values("date")
