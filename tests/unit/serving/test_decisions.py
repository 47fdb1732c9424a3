"""The batched decider asks the agent exactly what ``AgentPolicy.decide`` asks, item by item:
same observations, same prices, same probabilities, counterfactual variants included; and
the engine's counterfactuals are what the policy chooses with one driver made neutral."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pricing.market.scenarios import PricingState
from pricing.models.agent import AgentPolicy, Outlook
from pricing.serving.decisions import Ask
from pricing.serving.http_requests import Item
from tests.unit.serving.conftest import AS_OF

HORIZON = 28


def one_by_one(engine, ask: Ask) -> tuple[float, float, np.ndarray]:
    """The agent's answer to one ask the way training and benchmarks ask it."""
    outlook = Outlook(
        ask.reference,
        np.full(HORIZON, ask.base),
        np.full(HORIZON, ask.elasticity),
        np.zeros(HORIZON),
    )
    state = PricingState(
        0, HORIZON, ask.inventory, ask.current, ask.competitor, ask.ladder, ask.key[0], "",
        ask.key[1], ask.unit_cost, AS_OF, engine.config.reward,
    )  # fmt: skip
    agent = AgentPolicy(outlook, ask.limits, ask.config, engine.agent)
    price, probability = agent.decide(state)
    return price, probability, agent.questions(state)


@pytest.mark.parametrize("competitor", [None, 0.5, 1.7, 2.6, 40.0])
@pytest.mark.parametrize("inventory", [None, 0.0, 3.0, 1e6])
def test_batched_decisions_equal_the_agents_one_by_one(world, competitor, inventory):
    engine, keys = world.engine, list(world.source.rows)
    items = [
        Item(product_id=p, location_id=loc, competitor_price=competitor, inventory=inventory)
        for p, loc in keys
    ]
    _, prepared, _ = engine._gather(items, world.source)
    asks = []
    for p, problem in prepared:
        assert problem is None
        asks += [engine._ask(p), *engine._counterfactuals(p).values()]
    rows, starts = engine.decider.observations(asks)
    prices, probabilities = engine.decider.decide(asks)
    ends = [*starts[1:], len(rows)]
    for i, ask in enumerate(asks):
        price, probability, questions = one_by_one(engine, ask)
        assert prices[i] == pytest.approx(price, abs=1e-9), ask
        assert probabilities[i] == pytest.approx(probability, rel=1e-5)
        np.testing.assert_allclose(rows[starts[i] : ends[i]], questions, rtol=1e-6, atol=1e-6)


def test_counterfactuals_are_the_prices_with_a_driver_neutral(world):
    engine, (product, location) = world.engine, next(iter(world.source.rows))
    scarce = Item(product_id=product, location_id=location, inventory=1.0, competitor_price=9.0)
    answer = engine.recommend([scarce], world.source)[0][0]
    drivers = {d["name"]: d for d in answer["drivers"]}
    assert set(drivers) == {"stock", "competitor", "elasticity"}
    _, prepared, _ = engine._gather([scarce], world.source)
    p = prepared[0][0]
    ample = engine._ask(p, inventory=3.0 * HORIZON * p.base)
    level = engine._ask(p, competitor=p.current)
    assert drivers["stock"]["counterfactual_price"] == pytest.approx(one_by_one(engine, ample)[0])
    assert drivers["competitor"]["counterfactual_price"] == pytest.approx(
        one_by_one(engine, level)[0]
    )
    for driver in drivers.values():
        expected = answer["recommended_price"] - driver["counterfactual_price"]
        assert driver["effect"] == pytest.approx(expected, abs=0.01)
    assert math.isfinite(engine.median_elasticity) and engine.median_elasticity < 0


def test_untracked_stock_and_unknown_competitor_are_not_drivers(world):
    engine, (product, location) = world.engine, next(iter(world.source.rows))
    row = dict(world.source.rows[(product, location)])
    row["on_hand"], row["competitor_min_price"] = None, None
    world.source.rows[(product, location)] = row
    answer = engine.recommend([Item(product_id=product, location_id=location)], world.source)
    assert [d["name"] for d in answer[0][0]["drivers"]] == ["elasticity"]
    assert isinstance(answer[0][0]["explanation"], str)
    assert pd.notna(answer[0][0]["recommended_price"])
