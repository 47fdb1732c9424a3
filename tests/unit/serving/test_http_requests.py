"""Request contracts: every bad value is refused naming its field."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from pricing.serving.http_requests import Item, Items, Prices


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"product_id": ""}, "product_id"),
        ({"product_id": "P1", "competitor_price": -1}, "competitor_price"),
        ({"product_id": "P1", "competitor_price": 0}, "competitor_price"),
        ({"product_id": "P1", "competitor_price": float("nan")}, "competitor_price"),
        ({"product_id": "P1", "inventory": -0.5}, "inventory"),
        ({"product_id": "P1", "inventory": float("inf")}, "inventory"),
        ({"product_id": "P1", "inventory": "many"}, "inventory"),
        ({"product_id": "P1", "colour": "red"}, "colour"),
        ({}, "product_id"),
    ],
)
def test_bad_items_name_the_field(payload, field):
    with pytest.raises(ValidationError) as error:
        Item.model_validate(payload)
    assert field in str(error.value)


def test_at_least_one_item_is_required():
    """The upper bound is the service's setting (413, tests/unit/serving/test_access.py)."""
    items = TypeAdapter(Items)
    with pytest.raises(ValidationError):
        items.validate_python([])
    assert len(items.validate_python([{"product_id": "P"}] * 1001)) == 1001


@pytest.mark.parametrize("bad", [-2.0, 0.0, float("nan"), float("inf")])
def test_simulated_prices_must_be_positive_and_finite(bad):
    prices = TypeAdapter(Prices)
    with pytest.raises(ValidationError) as error:
        prices.validate_python([1.0, bad])
    assert [e["loc"] for e in error.value.errors()] == [(1,)]  # names the bad price
    assert prices.validate_python([1.0, 2.5]) == [1.0, 2.5]


def test_at_least_one_simulated_price_is_required():
    prices = TypeAdapter(Prices)
    with pytest.raises(ValidationError):
        prices.validate_python([])
    assert len(prices.validate_python([1.0] * 501)) == 501
