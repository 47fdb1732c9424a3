"""Baseline policies: on the ladder, sensible directions, demand from the one demand function."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pricing.market.scenario_gen import make_scenarios
from pricing.market.scenarios import (
    PricingState,
    Scenario,
    common_random_numbers,
    simulate,
)
from pricing.models.demand_at_price import expected_units
from pricing.policy.baseline_policies import (
    CompetitorMatch,
    CostPlus,
    Myopic,
    Policy,
    StaticBestPrice,
    baseline_factories,
    true_demand_source,
)
from pricing.policy.guardrails import GuardrailConfig, GuardrailPolicy
from pricing.policy.ladder import build_ladder
from pricing.policy.oracle import evaluate_policy, solve_oracle


class OnTheLadder:
    """Wraps a policy and fails the test the moment it picks a price off the step's ladder."""

    def __init__(self, inner: Policy) -> None:
        self.inner, self.calls = inner, 0

    def choose(self, state: PricingState) -> float:
        price = self.inner.choose(state)
        assert np.any(state.ladder.prices == price), (price, state.ladder.prices)
        assert state.ladder.hard_bounds[0] <= price <= state.ladder.hard_bounds[1]
        self.calls += 1
        return price


@pytest.fixture(scope="module")
def varied() -> list[Scenario]:
    """Revenue, profit, price endings and a tight max change; stock capped to keep it quick."""
    endings = GuardrailPolicy(
        default=GuardrailConfig(price_endings=[0.99, 0.49]),
        categories={"dairy": {"max_change": 0.05}, "household": {"max_change": 0.05}},
    )
    scenarios = (
        make_scenarios(2, seed=1)
        + make_scenarios(2, seed=2, reward="profit")
        + make_scenarios(3, seed=6, guardrails=endings)
    )
    return [
        dataclasses.replace(s, initial_inventory=min(s.initial_inventory, 200)) for s in scenarios
    ]


def test_no_policy_ever_leaves_the_ladder(varied: list[Scenario]) -> None:
    uniforms = common_random_numbers(varied, seed=0, draws=2)
    factories = {**baseline_factories(), "oracle": solve_oracle}
    for scenario, rows in zip(varied, uniforms, strict=True):
        for factory in factories.values():
            checked = OnTheLadder(factory(scenario))
            for row in rows:
                simulate(scenario, checked, row)
            assert checked.calls == len(rows) * scenario.horizon


def test_endings_reach_the_policies(varied: list[Scenario]) -> None:
    with_endings = [s for s in varied if s.guardrails.price_endings]
    assert len(with_endings) == 3
    assert any(s.guardrails.max_change == 0.05 for s in with_endings)
    for s in with_endings:
        cents = set(np.round(s.grid * 100).astype(int) % 100) - {round(s.initial_price * 100) % 100}
        assert cents <= {49, 99}


def _states(s: Scenario) -> list[PricingState]:
    return [
        s.state(t, stock, price)
        for t in (0, 9, 20)
        for stock in (1, 8, 40, 400, 10**6)
        for price in (s.grid[3], s.initial_price, s.grid[-4])
    ]


def test_higher_competitor_price_never_lowers_myopic_price() -> None:
    for s in make_scenarios(4, seed=8) + make_scenarios(2, seed=9, reward="profit"):
        myopic = Myopic(true_demand_source(s))
        for state in _states(s):
            factors = (0.6, 0.8, 0.95, 1.0, 1.1, 1.3, 1.7)
            competitor = [state.competitor_price * f for f in factors]
            same_ladder = [
                myopic.choose(dataclasses.replace(state, competitor_price=c)) for c in competitor
            ]
            assert same_ladder == sorted(same_ladder), state
            # With the ladder rebuilt for each competitor price (the band moves up with it).
            chosen = []
            for c in competitor:
                ladder = build_ladder(s.limits, s.guardrails, state.price_in_effect, c)
                if not ladder.conflicts:
                    moved = dataclasses.replace(state, competitor_price=c, ladder=ladder)
                    chosen.append(myopic.choose(moved))
            assert chosen == sorted(chosen), state


def test_myopic_uses_stock_and_margin() -> None:
    s = make_scenarios(1, seed=8)[0]
    state = s.state(5, 10**6, s.initial_price)
    source = true_demand_source(s)
    prices = state.ladder.prices
    revenue = prices * source(state, prices)
    assert Myopic(source).choose(state) == prices[np.argmax(revenue)]
    starved = dataclasses.replace(state, inventory=1.0)  # one unit: sell it at the top price
    assert Myopic(source).choose(starved) == prices[-1]
    profit = dataclasses.replace(state, reward="profit")
    margin = (prices - s.params.unit_cost) * source(state, prices)
    assert Myopic(source).choose(profit) == prices[np.argmax(margin)]


def test_true_source_is_expected_units_on_the_truth() -> None:
    s = make_scenarios(1, seed=8)[0]
    source = true_demand_source(s)
    for t in (0, 13, 27):
        state = s.state(t, 10, s.initial_price)
        assert np.allclose(source(state, s.grid), s.true_units[t])
        direct = expected_units(s.product_id, "all", s.grid, s.context(t))
        assert np.array_equal(source(state, s.grid), direct)


def test_cost_plus_and_competitor_match_targets() -> None:
    s = make_scenarios(1, seed=8)[0]
    state = s.state(4, 10, s.initial_price)
    target = s.params.unit_cost * 1.35
    assert CostPlus().choose(state) == state.ladder.nearest(target)
    assert CostPlus(markup=0.0).choose(state) == state.ladder.prices[0]
    assert CompetitorMatch().choose(state) == state.ladder.nearest(state.competitor_price)
    unknown = dataclasses.replace(state, unit_cost=float("nan"), competitor_price=float("nan"))
    assert CostPlus().choose(unknown) == state.ladder.nearest(state.price_in_effect)
    assert CompetitorMatch().choose(unknown) == state.ladder.nearest(state.price_in_effect)


class Hold:
    def __init__(self, price: float) -> None:
        self.price = price

    def choose(self, state: PricingState) -> float:
        return state.ladder.nearest(self.price)


def test_static_price_is_the_best_price_held_fixed() -> None:
    free = GuardrailPolicy(default=GuardrailConfig(max_change=None, competitor_band=None))
    s = make_scenarios(1, seed=8, guardrails=free)[0]
    s = dataclasses.replace(s, initial_inventory=min(s.initial_inventory, 60))
    static = StaticBestPrice(s, true_demand_source(s))
    best = s.grid_index(static.price)
    for k in (0, best, len(s.grid) - 1):
        held = evaluate_policy(s, Hold(float(s.grid[k])))
        assert static.values[k] == pytest.approx(held, rel=1e-9)
    assert static.values[best] == static.values.max()
