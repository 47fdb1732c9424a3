"""Request contracts of the pricing service: validated once, at the edge, naming the field.

Overrides are what a client knows better than the feature store (a competitor price seen a
minute ago, a stock count): JSON numbers (``true`` and ``"3"`` are not quantities), finite
and within bounds, or the request is refused. How many items
or prices one request may carry is a setting (``PRICING_SERVICE__MAX_ITEMS``, ``..._MAX_PRICES``),
checked by the endpoints (413, not 400: the request is well formed, only too large).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: Prices a request may name: the ladder counts in cents, and past these bounds the arithmetic
#: of a what-if or a competitor band overflows (found by `pricing bench fuzz`).
MIN_PRICE = 0.01
MAX_PRICE = 1e9
MAX_UNITS = 1e12


class ItemKey(BaseModel):
    """One product, at one location: what every endpoint's item names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: str = Field(min_length=1, max_length=200, description="Product id.")
    location_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Location id; may be omitted when the product is sold at one location.",
    )


class Item(ItemKey):
    """One product (at one location) to price."""

    competitor_price: float | None = Field(
        None,
        ge=MIN_PRICE,
        le=MAX_PRICE,
        allow_inf_nan=False,
        strict=True,
        description="Override: the competitor price to react to (a cent to a billion).",
    )
    inventory: float | None = Field(
        None,
        ge=0.0,
        le=MAX_UNITS,
        allow_inf_nan=False,
        strict=True,
        description="Override: units on hand (0 to a trillion).",
    )


Price = Annotated[float, Field(ge=MIN_PRICE, le=MAX_PRICE, allow_inf_nan=False, strict=True)]
Prices = Annotated[list[Price], Field(min_length=1)]
Items = Annotated[list[Item], Field(min_length=1)]


class ForecastItem(ItemKey):
    """One product (at one location) to forecast."""


#: Planned prices, one per forecast period (no more periods than a year of days).
PlannedPrices = Annotated[list[Price], Field(min_length=1, max_length=366)]
Horizon = Annotated[int, Field(ge=1, le=366, description="Periods to forecast.")]
