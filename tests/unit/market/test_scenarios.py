"""Evaluation scenarios: unseen products, binding stock, competitor moves, seeded draws."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import poisson

from pricing.market.demand import true_expected_units
from pricing.market.scenario_gen import make_scenarios
from pricing.market.scenarios import (
    Scenario,
    common_random_numbers,
    simulate,
)
from pricing.policy.baseline_policies import CompetitorMatch, CostPlus


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return make_scenarios(6, seed=0)


def test_products_are_unseen_and_seeded(scenarios: list[Scenario]) -> None:
    assert [s.product_id for s in scenarios[:3]] == ["P100001", "P100002", "P100003"]
    again = make_scenarios(6, seed=0)
    assert [s.params for s in again] == [s.params for s in scenarios]
    assert all(
        np.array_equal(a.competitor_prices, b.competitor_prices)
        for a, b in zip(again, scenarios, strict=True)
    )
    other = make_scenarios(6, seed=1)
    assert [s.params for s in other] != [s.params for s in scenarios]


def test_scenario_shape(scenarios: list[Scenario]) -> None:
    for s in scenarios:
        assert s.horizon == 28 and len(s.dates) == 28 and len(s.competitor_prices) == 28
        assert s.reward == "revenue"
        assert len(s.arrivals) == 28 and np.all(s.arrivals >= 0)
        assert s.demand_shift is not None and np.all(s.demand_shift > 0)
        base = s.params.base_price
        assert s.limits.observed_min == round(0.7 * base, 2)
        assert s.limits.observed_max == round(1.15 * base, 2)
        assert s.limits.unit_cost == s.params.unit_cost
        assert s.initial_price == base
        assert np.all(s.competitor_prices > 0)
        assert s.true_units.shape == (28, len(s.grid))
        assert 2 <= len(s.grid) <= 60


def test_initial_stock_binds(scenarios: list[Scenario]) -> None:
    for s in scenarios:
        at_ref = s.demand_shift * true_expected_units(
            s.params, s.params.ref_price, s.competitor_prices, s.dates
        )
        first = np.flatnonzero(s.arrivals)
        until = int(first[0]) if len(first) else s.horizon
        share = s.initial_inventory / float(np.sum(at_ref[:until]))
        assert 0.34 <= share <= 0.91  # scarce until the first delivery (or the end)
    assert any(s.arrivals.sum() > 0 for s in scenarios)


def test_competitor_prices_move() -> None:
    paths = [s.competitor_prices for s in make_scenarios(20, seed=4)]
    assert all(np.std(np.diff(np.log(path))) > 0 for path in paths)
    drops = [np.min(np.diff(np.log(path))) for path in paths]
    assert min(drops) < -0.12  # at least one price war among 20 scenarios


def test_crn_shape_and_seed(scenarios: list[Scenario]) -> None:
    u = common_random_numbers(scenarios, seed=3, draws=5)
    assert u.shape == (6, 5, 28)
    assert np.array_equal(u, common_random_numbers(scenarios, seed=3, draws=5))
    assert np.all((u >= 0) & (u < 1))


def test_same_uniforms_same_result(scenarios: list[Scenario]) -> None:
    u = common_random_numbers(scenarios, seed=3, draws=2)
    s = scenarios[0]
    first = simulate(s, CostPlus(), u[0, 0])
    assert simulate(s, CostPlus(), u[0, 0]) == first
    assert simulate(make_scenarios(6, seed=0)[0], CostPlus(), u[0, 0]) == first
    assert simulate(s, CostPlus(), u[0, 1]) != first


def test_draws_are_the_poisson_inverse_cdf() -> None:
    s = dataclasses.replace(make_scenarios(1, seed=2)[0], initial_inventory=10**6)
    u = np.random.default_rng(0).random(28)

    class Fixed:
        def choose(self, state):  # keeps the price: every draw is at the initial price
            return state.price_in_effect

    k = s.grid_index(s.initial_price)
    expected = poisson.ppf(u, s.true_units[:, k])
    assert simulate(s, Fixed(), u) == pytest.approx(s.initial_price * expected.sum())


def test_sales_are_censored_by_stock_and_replenished() -> None:
    s = make_scenarios(1, seed=2)[0]
    u = np.full(28, 0.999)  # very high demand every period
    empty = dataclasses.replace(s, initial_inventory=0, replenishment=None)
    assert simulate(empty, CompetitorMatch(), u) == 0.0
    arrivals = np.zeros(28, dtype=int)
    arrivals[10] = 3
    topped = dataclasses.replace(s, initial_inventory=0, replenishment=arrivals)
    revenue = simulate(topped, CompetitorMatch(), u)
    price = s.initial_price
    for t in range(11):  # the matcher's price path does not depend on stock
        price = topped.ladder(t, price).nearest(topped.competitor_prices[t])
    assert revenue == pytest.approx(3 * price)


def test_leaving_the_ladder_is_refused(scenarios: list[Scenario]) -> None:
    class Rogue:
        def choose(self, state):
            return state.ladder.prices[-1] + 0.013

    with pytest.raises(ValueError, match="not on the ladder"):
        simulate(scenarios[0], Rogue(), np.full(28, 0.5))


def test_scenarios_validate_lengths(scenarios: list[Scenario]) -> None:
    with pytest.raises(ValueError, match="competitor_prices"):
        dataclasses.replace(scenarios[0], horizon=10)
    with pytest.raises(ValueError, match="replenishment"):
        dataclasses.replace(scenarios[0], replenishment=np.zeros(3))


def test_profit_reward_counts_the_margin() -> None:
    s = make_scenarios(1, seed=2, reward="profit")[0]
    assert s.margin(s.initial_price) == pytest.approx(s.initial_price - s.params.unit_cost)
    assert s.state(0, 5, s.initial_price).reward == "profit"


def test_state_hides_the_truth(scenarios: list[Scenario]) -> None:
    state = scenarios[0].state(3, 10, scenarios[0].initial_price)
    names = {f.name for f in dataclasses.fields(state)}
    assert "params" not in names and "elasticity" not in names
    assert state.when == scenarios[0].dates[3]
    assert state.competitor_price == scenarios[0].competitor_prices[3]
