"""Request contracts of the pricing service: validated once, at the edge, naming the field.

Overrides are what a client knows better than the feature store (a competitor price seen a
minute ago, a stock count): finite and non-negative, or the request is refused.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_ITEMS = 1000
MAX_PRICES = 500


class Item(BaseModel):
    """One product (at one location) to price."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: str = Field(min_length=1, max_length=200, description="Product id.")
    location_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Location id; may be omitted when the product is sold at one location.",
    )
    competitor_price: float | None = Field(
        None,
        gt=0.0,
        allow_inf_nan=False,
        description="Override: the competitor price to react to (finite, > 0).",
    )
    inventory: float | None = Field(
        None, ge=0.0, allow_inf_nan=False, description="Override: units on hand (finite, >= 0)."
    )


Price = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Prices = Annotated[list[Price], Field(min_length=1, max_length=MAX_PRICES)]
Items = Annotated[list[Item], Field(min_length=1, max_length=MAX_ITEMS)]
