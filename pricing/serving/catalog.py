"""What the service knows about each sellable (product, location) before any feature arrives.

The hard guardrails need a product's cost, category, absolute limits and observed price range;
the range is the one the price-response model was fitted on (the trees are only trusted near
it), the rest comes from the home's products table.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from pricing.policy.guardrails import ProductLimits


class UnknownItemError(LookupError):
    """A product (or product at a location) the service has no model or catalogue entry for."""


@dataclass(frozen=True)
class Entry:
    product_id: str
    location_id: str
    index: int  # row of the price-response model's series table
    category: str | None
    unit_cost: float
    limits: ProductLimits


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


class Catalog:
    """(product, location) -> Entry, built from the products table and the model's series."""

    def __init__(self, products: pd.DataFrame, series: pd.DataFrame) -> None:
        info = (
            products.drop_duplicates("product_id").set_index("product_id")
            if len(products)
            else pd.DataFrame()
        )
        self._entries: dict[tuple[str, str], Entry] = {}
        self._locations: dict[str, list[str]] = defaultdict(list)
        for i, ((product, location), row) in enumerate(series.iterrows()):
            extra = info.loc[product] if product in info.index else {}
            cost = _number(extra.get("unit_cost")) if len(extra) else None
            category = extra.get("category") if len(extra) else None
            limits = ProductLimits(
                unit_cost=cost,
                observed_min=float(row["min_price"]),
                observed_max=float(row["max_price"]),
                min_price=_number(extra.get("min_price")) if len(extra) else None,
                max_price=_number(extra.get("max_price")) if len(extra) else None,
            )
            key = (str(product), str(location))
            self._entries[key] = Entry(
                key[0],
                key[1],
                i,
                None if category is None or pd.isna(category) else str(category),
                math.nan if cost is None else cost,
                limits,
            )
            self._locations[key[0]].append(key[1])

    def __len__(self) -> int:
        return len(self._entries)

    def resolve(self, product_id: str, location_id: str | None) -> Entry:
        """The entry of an item; the location may be omitted when there is only one."""
        locations = self._locations.get(product_id)
        if not locations:
            raise UnknownItemError(f"unknown product_id {product_id!r}")
        if location_id is None:
            if len(locations) > 1:
                raise UnknownItemError(
                    f"product_id {product_id!r} is sold at {len(locations)} locations: "
                    "location_id is required"
                )
            location_id = locations[0]
        entry = self._entries.get((product_id, location_id))
        if entry is None:
            raise UnknownItemError(
                f"unknown location_id {location_id!r} for product_id {product_id!r}"
            )
        return entry
