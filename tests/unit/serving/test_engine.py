"""The recommendation engine: guardrails hold, bad items fail alone, stale data falls back."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricing.policy.ladder import build_ladder
from pricing.serving.catalog import UnknownItemError
from pricing.serving.http_requests import Item


def hard_ok(world, answer) -> bool:
    """The price respects every hard rule: cost floor, observed range, and sits in cents."""
    entry = world.engine.catalog.resolve(answer["product_id"], answer["location_id"])
    config = world.engine.guardrails.for_product(entry.product_id, entry.category)
    price, limits = answer["recommended_price"], entry.limits
    floor = max(limits.observed_min * (1 - config.observed_range), entry.unit_cost * 1.05)
    ceiling = limits.observed_max * (1 + config.observed_range)
    return floor - 0.01 <= price <= ceiling + 0.01 and abs(price * 100 - round(price * 100)) < 1e-6


def test_every_item_priced_on_its_ladder_in_order(world):
    ids = sorted(world.params)
    answer, records = world.engine.recommend([Item(product_id=p) for p in ids], world.source)
    assert [a["product_id"] for a in answer] == ids
    assert world.source.reads == [len(ids)]  # one feature read per request
    for item, record in zip(answer, records, strict=True):
        assert not item["fallback"] and item["policy"] == "ppo"
        assert item["recommended_price"] in record["allowed_prices"]
        assert hard_ok(world, item)
        assert 0.0 <= item["confidence"] <= 1.0
        assert item["expected_units"] > 0
        on_hand = world.source.rows[(item["product_id"], item["location_id"])]["on_hand"]
        sold = min(item["expected_units"], on_hand)  # sales are capped by the stock on hand
        assert item["expected_revenue"] == pytest.approx(item["recommended_price"] * sold, rel=1e-3)
        assert item["elasticity"] < 0
        assert (
            item["explanation"].endswith(".")
            and str(item["recommended_price"])[:3] in (item["explanation"])
        )
        assert item["model_version"]["agent"] == "a:1"
        assert item["model_version"]["forecast"] == "pricing-demand:test"
        assert 0.0 < record["action_probability"] <= 1.0


def test_unknown_product_fails_alone(world):
    items = [Item(product_id="P0001"), Item(product_id="NOPE"), Item(product_id="P0002")]
    answer, records = world.engine.recommend(items, world.source)
    assert [a["product_id"] for a in answer] == ["P0001", "NOPE", "P0002"]
    assert answer[1]["error"] == "unknown product_id 'NOPE'"
    assert "recommended_price" in answer[0] and "recommended_price" in answer[2]
    assert len(records) == 2


def test_unknown_location_is_named(world):
    answer, _ = world.engine.recommend([Item(product_id="P0001", location_id="X")], world.source)
    assert "unknown location_id 'X'" in answer[0]["error"]


def test_missing_forecast_falls_back_to_current_price(world):
    del world.source.rows[("P0001", "all")]["forecast_units"]
    answer, records = world.engine.recommend([Item(product_id="P0001")], world.source)
    item = answer[0]
    assert item["fallback"] and item["policy"] == "fallback"
    assert "forecast_units" in item["fallback_reason"]
    assert item["recommended_price"] == item["current_price"]
    assert records[0]["policy"] == "fallback" and records[0]["action_probability"] is None


def test_stale_features_fall_back(world):
    old = (pd.Timestamp("2024-06-20", tz="UTC")).timestamp()
    row = world.source.rows[("P0002", "all")]
    row |= {k: old for k in row if k.endswith("__ts")}
    answer, _ = world.engine.recommend([Item(product_id="P0002")], world.source)
    assert answer[0]["fallback"] and answer[0]["fallback_reason"].startswith("stale features")


def test_fallback_without_any_price_uses_reference_inside_hard_rules(world):
    world.source.rows[("P0003", "all")] = {}  # Feast knows nothing about it
    answer, _ = world.engine.recommend([Item(product_id="P0003")], world.source)
    assert answer[0]["fallback"] and answer[0]["current_price"] is None
    assert hard_ok(world, answer[0])


def test_higher_competitor_price_never_lowers_the_recommendation(world):
    for product in sorted(world.params):
        prices = []
        for competitor in (
            np.linspace(0.5, 3.0, 12) * world.source.rows[(product, "all")]["last_price"]
        ):
            item = Item(product_id=product, competitor_price=float(competitor))
            prices.append(world.engine.recommend([item], world.source)[0][0]["recommended_price"])
        assert all(b >= a - 1e-9 for a, b in itertools.pairwise(prices)), prices


def test_simulate_is_monotone_and_flags_allowed_prices(world):
    current = world.source.rows[("P0001", "all")]["last_price"]
    prices = list(np.round(np.linspace(0.6, 1.3, 10) * current, 2))  # all trusted
    out = world.engine.simulate(Item(product_id="P0001"), prices, world.source)
    units = [p["expected_units"] for p in out["points"]]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(units))
    for point in out["points"]:
        assert point["expected_revenue"] == pytest.approx(
            point["price"] * point["expected_units"], rel=1e-3
        )
        assert point["expected_profit"] is not None
    ladder = build_ladder(
        world.engine.catalog.resolve("P0001", None).limits,
        world.engine.guardrails.for_product("P0001", world.params["P0001"].category),
        current,
        world.source.rows[("P0001", "all")]["competitor_min_price"],
    )
    assert [p["allowed"] for p in out["points"]] == [ladder.contains(p) for p in prices]
    with pytest.raises(UnknownItemError):
        world.engine.simulate(Item(product_id="NOPE"), [1.0], world.source)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    product=st.integers(1, 6),
    price_scale=st.floats(0.5, 2.0),
    competitor=st.one_of(st.none(), st.floats(0.2, 5.0)),
    inventory=st.one_of(st.none(), st.floats(0.0, 1e5)),
    units_scale=st.floats(0.0, 10.0),
)
def test_property_any_features_and_overrides_stay_inside_hard_guardrails(
    world, product, price_scale, competitor, inventory, units_scale
):
    key = (f"P{product:04d}", "all")
    row = world.source.rows[key]
    base = dict(row)
    try:
        row["last_price"] = round(base["last_price"] * price_scale, 2)
        row["forecast_units"] = base["forecast_units"] * units_scale
        item = Item(
            product_id=key[0],
            competitor_price=None if competitor is None else competitor * base["last_price"],
            inventory=inventory,
        )
        answer, records = world.engine.recommend([item], world.source)
        price = answer[0]["recommended_price"]
        assert hard_ok(world, answer[0])
        assert price in records[0]["allowed_prices"]
        assert not answer[0]["fallback"] and math.isfinite(answer[0]["confidence"])
    finally:
        row.clear()
        row.update(base)
