"""Attribution: each driver's effect is the chosen price minus the price without it, and the
drivers are ordered as the explanation names them (pushed, then held back, then no effect)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pricing.serving.attribution import (
    COMPETITOR,
    ELASTICITY,
    PROMOTION,
    STOCK,
    Driver,
    attribute,
    attribute_many,
    direction,
    partition,
)
from pricing.serving.http_responses import Recommendation, recommend_response


def names(drivers: list[Driver]) -> list[str]:
    return [d.name for d in drivers]


def test_effect_is_the_chosen_price_minus_the_counterfactual_with_its_sign() -> None:
    drivers = attribute(4.93, 4.49, {STOCK: 4.49, COMPETITOR: 5.10})
    assert drivers == [Driver(STOCK, 4.49, 0.44), Driver(COMPETITOR, 5.10, -0.17)]


def test_a_raise_names_its_pushers_strongest_first_then_what_held_it_back() -> None:
    # Raise 2.00 -> 2.20: stock and promotion pushed up (without them lower prices), the
    # competitor and elasticity held it back (without them even higher ones).
    drivers = attribute(
        2.20, 2.00, {COMPETITOR: 2.25, STOCK: 2.00, ELASTICITY: 2.40, PROMOTION: 2.15}
    )
    assert names(drivers) == [STOCK, PROMOTION, ELASTICITY, COMPETITOR]
    assert [d.effect for d in drivers] == [0.2, 0.05, -0.2, -0.05]
    pushed, held = partition(drivers, 2.20, 2.00)
    assert names(pushed) == [STOCK, PROMOTION] and names(held) == [ELASTICITY, COMPETITOR]


def test_a_cut_is_pushed_by_the_drivers_that_lowered_it() -> None:
    drivers = attribute(1.80, 2.00, {ELASTICITY: 2.00, STOCK: 1.70, COMPETITOR: 1.85})
    assert names(drivers) == [ELASTICITY, COMPETITOR, STOCK]
    pushed, held = partition(drivers, 1.80, 2.00)
    assert names(pushed) == [ELASTICITY, COMPETITOR]  # effects -0.20, -0.05
    assert names(held) == [STOCK]  # +0.10: without it the cut would go to 1.70


def test_a_keep_is_held_by_every_driver_that_would_move_it_either_way() -> None:
    # Without scarce stock the price would drop to 1.80; without the elasticity it would rise
    # to 2.10: both hold it at 2.00, the stronger first; the competitor changes nothing.
    drivers = attribute(2.00, 2.00, {COMPETITOR: 2.00, ELASTICITY: 2.10, STOCK: 1.80})
    assert names(drivers) == [STOCK, ELASTICITY, COMPETITOR]
    pushed, held = partition(drivers, 2.00, 2.00)
    assert names(pushed) == [STOCK, ELASTICITY] and held == []
    assert drivers[-1].effect == 0.0


def test_drivers_without_effect_are_kept_last_and_are_neither_pushed_nor_held() -> None:
    drivers = attribute(2.10, 2.00, {STOCK: 2.10, ELASTICITY: 2.10, COMPETITOR: 2.0})
    assert names(drivers) == [COMPETITOR, ELASTICITY, STOCK]
    assert [d.effect for d in drivers] == [0.1, 0.0, 0.0]
    everything_zero = attribute(2.10, 2.00, {STOCK: 2.10, ELASTICITY: 2.10})
    assert partition(everything_zero, 2.10, 2.00) == ([], [])
    assert names(everything_zero) == [ELASTICITY, STOCK]  # by name


def test_a_difference_under_the_keep_tolerance_is_no_effect() -> None:
    drivers = attribute(20.00, 18.00, {STOCK: 19.995, COMPETITOR: 18.00})
    assert names(drivers) == [COMPETITOR, STOCK]
    assert drivers[1].effect == 0.005  # the number is kept, but it is no reason
    assert partition(drivers, 20.00, 18.00) == ([drivers[0]], [])


def test_absent_and_unknown_counterfactuals_are_left_out() -> None:
    assert attribute(2.10, 2.00, {}) == []
    assert names(attribute(2.10, 2.00, {STOCK: 2.0, COMPETITOR: math.nan})) == [STOCK]


def test_values_are_rounded_to_sub_cent_without_float_noise() -> None:
    (driver,) = attribute(0.1234567, 0.12, {STOCK: 0.1111111})
    assert driver == Driver(STOCK, 0.1111, 0.0123)  # a cheap item's step is not lost


@pytest.mark.parametrize(
    ("chosen", "current", "move"),
    [(2.10, 2.00, 1), (1.90, 2.00, -1), (2.00, 2.00, 0), (2.0009, 2.00, 0), (2.5, 0.0, 0),
     (2.5, math.nan, 0)],
)  # fmt: skip
def test_direction_shares_the_explanations_keep_threshold(
    chosen: float, current: float, move: int
) -> None:
    assert direction(chosen, current) == move


def test_the_batch_gives_each_item_what_one_call_gives() -> None:
    rng = np.random.default_rng(7)
    n = 64
    current = rng.uniform(1, 5, n)
    current[::9] = np.nan  # no price in effect
    chosen = np.round(current * rng.choice([0.9, 1.0, 1.1], n), 2)
    chosen[::9] = 3.0
    counterfactuals = {
        name: np.where(rng.random(n) < 0.3, np.nan, chosen * rng.choice([0.9, 1.0, 1.05], n))
        for name in (STOCK, COMPETITOR, ELASTICITY, PROMOTION)
    }
    batch = attribute_many(chosen, current, counterfactuals)
    for i in range(n):
        one = {k: float(v[i]) for k, v in counterfactuals.items() if math.isfinite(v[i])}
        assert batch[i] == attribute(float(chosen[i]), float(current[i]), one)
    assert attribute_many(chosen, current, {}) == [[] for _ in range(n)]


def test_a_bad_batch_is_refused_naming_the_problem() -> None:
    with pytest.raises(ValueError, match="chosen price must be finite, got nan at item 1"):
        attribute_many(np.array([2.0, np.nan]), np.array([2.0, 2.0]), {STOCK: np.ones(2)})
    with pytest.raises(ValueError, match="counterfactuals have 3 items, chosen prices 2"):
        attribute_many(np.array([2.0, 2.0]), np.array([2.0, 2.0]), {STOCK: np.ones(3)})
    with pytest.raises(ValueError, match="must be 1-d and of one length"):
        attribute_many(np.array([2.0]), np.array([2.0, 2.0]), {})


def test_the_response_documents_and_carries_the_drivers_as_numbers() -> None:
    schema = Recommendation.model_json_schema()
    assert "held it back" in schema["properties"]["drivers"]["description"]
    driver = schema["$defs"]["Driver"]
    assert set(driver["properties"]) == {"name", "counterfactual_price", "effect"}
    assert all(p["description"] for p in driver["properties"].values())
    answer = {
        "product_id": "A", "location_id": "all", "recommended_price": 4.93, "confidence": 0.8,
        "current_price": 4.49, "competitor_price": 5.6, "expected_units": 10.0,
        "expected_revenue": 49.3, "elasticity": -0.6, "elasticity_source": "fitted",
        "guardrails_applied": {
            "rules": [], "conflicts": [], "not_applicable": [], "allowed_range": [4.0, 5.0],
        },
        "explanation": "Raise 9.8% to 4.93: ...", "model_version": {"bento": None},
        "policy": "ppo", "fallback": False, "fallback_reason": None,
        "drivers": [{"name": STOCK, "counterfactual_price": 4.49, "effect": 0.44}],
    }  # fmt: skip
    fallback = {k: v for k, v in answer.items() if k != "drivers"} | {"policy": "fallback"}
    response = recommend_response({"request_id": "r", "items": [answer, fallback]})
    dumped = response.model_dump(mode="json", exclude_unset=False, warnings="error")
    first, second = dumped["items"]
    assert first["drivers"] == [{"name": STOCK, "counterfactual_price": 4.49, "effect": 0.44}]
    assert second["drivers"] == []
