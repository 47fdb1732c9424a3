"""The oracle: exact on a tiny instance, an upper bound for every policy, the scoring yardstick."""

from __future__ import annotations

import dataclasses
import time
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from pricing.market.demand import true_expected_units
from pricing.market.params import sample_products
from pricing.market.scenario_gen import make_scenarios
from pricing.market.scenarios import Scenario, common_random_numbers, simulate
from pricing.policy.baseline_policies import StaticBestPrice, baseline_factories, true_demand_source
from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import build_ladder
from pricing.policy.oracle import evaluate_policy, score_policies, solve_oracle


def tiny(replenishment: list[int] | None = None, reward: str = "revenue") -> Scenario:
    """T=3, stock 4, prices {2.00, 2.83, 4.00}; max change 45% forbids 2.00 <-> 4.00 jumps."""
    base = sample_products(1, np.random.default_rng(7), start_index=100000)[0]
    params = dataclasses.replace(
        base, unit_cost=1.0, base_price=2.83, ref_price=2.83, competitor_ref_price=2.83,
        base_demand=1.6, elasticity=-1.8,
    )  # fmt: skip
    config = GuardrailConfig(
        observed_range=0.0, max_change=0.45, competitor_band=None, ladder_step=0.5, max_points=3
    )
    return Scenario(
        params=params,
        start=pd.Timestamp("2025-07-03", tz="UTC"),  # the horizon holds July 4th
        initial_inventory=4,
        competitor_prices=np.array([2.83, 2.5, 3.1]),
        limits=ProductLimits(unit_cost=1.0, observed_min=2.0, observed_max=4.0),
        initial_price=2.83,
        horizon=3,
        replenishment=None if replenishment is None else np.array(replenishment),
        reward=reward,  # type: ignore[arg-type]
        guardrails=config,
    )


def brute_force(s: Scenario) -> tuple[float, float]:
    """Expectimax over every price path and every demand outcome, written from scratch."""
    arrivals = s.replenishment if s.replenishment is not None else np.zeros(s.horizon, int)
    cost = s.params.unit_cost if s.reward == "profit" else 0.0

    @cache
    def value(t: int, on_hand: int, price: float) -> tuple[float, float]:
        if t == s.horizon:
            return 0.0, price
        stock = on_hand + int(arrivals[t])
        ladder = build_ladder(s.limits, s.guardrails, price, float(s.competitor_prices[t]))
        best = (-np.inf, price)
        for p in ladder.prices.tolist():
            mean = float(true_expected_units(s.params, p, s.competitor_prices[t], s.dates[t]))
            total = 0.0
            for demand in range(stock):
                later = value(t + 1, stock - demand, p)[0]
                total += poisson.pmf(demand, mean) * ((p - cost) * demand + later)
            later = value(t + 1, 0, p)[0]
            total += poisson.sf(stock - 1, mean) * ((p - cost) * stock + later)
            best = max(best, (total, p))
        return best

    return value(0, s.initial_inventory, s.initial_price)


@pytest.mark.parametrize(
    ("replenishment", "reward"),
    [(None, "revenue"), ([0, 2, 1], "revenue"), (None, "profit")],
)
def test_dp_matches_brute_force(replenishment: list[int] | None, reward: str) -> None:
    s = tiny(replenishment, reward)
    assert s.grid.tolist() == [2.0, 2.83, 4.0]
    expected, first_price = brute_force(s)
    oracle = solve_oracle(s)
    assert oracle.value == pytest.approx(expected, rel=1e-9)
    start = s.state(0, s.initial_inventory + s.arrivals[0], s.initial_price)
    assert oracle.choose(start) == first_price
    assert evaluate_policy(s, oracle) == pytest.approx(expected, rel=1e-9)


def test_tiny_instance_really_is_constrained() -> None:
    s = tiny()
    assert s.ladder(0, 2.0).prices.tolist() == [2.0, 2.83]
    assert s.ladder(0, 4.0).prices.tolist() == [2.83, 4.0]
    assert s.ladder(0, 2.83).prices.tolist() == [2.0, 2.83, 4.0]


def shrink(s: Scenario, units: float = 40.0, share: float = 0.7) -> Scenario:
    """The same scenario at a small scale (exact evaluation stays fast); stock still binds."""
    at_ref = true_expected_units(s.params, s.params.ref_price, s.competitor_prices, s.dates)
    params = dataclasses.replace(s.params, base_demand=s.params.base_demand * units / at_ref.sum())
    return dataclasses.replace(s, params=params, initial_inventory=round(share * units))


@pytest.fixture(scope="module")
def small() -> list[Scenario]:
    return [shrink(s) for s in make_scenarios(3, seed=3)]


def test_simulated_oracle_agrees_with_its_expected_value(small: list[Scenario]) -> None:
    s = small[0]
    oracle = solve_oracle(s)
    rows = np.random.default_rng(11).random((400, s.horizon))
    paths = np.array([simulate(s, oracle, row) for row in rows])
    standard_error = paths.std(ddof=1) / np.sqrt(len(paths))
    assert abs(paths.mean() - oracle.value) < 4 * standard_error


def test_oracle_beats_every_baseline_in_expectation(small: list[Scenario]) -> None:
    factories = baseline_factories()
    for s in small:
        oracle = solve_oracle(s)
        for name, factory in factories.items():
            assert evaluate_policy(s, factory(s)) <= oracle.value * (1 + 1e-9), name


def test_static_price_falls_short_when_stock_binds_and_demand_moves(
    small: list[Scenario],
) -> None:
    shares = []
    for s in small:
        oracle = solve_oracle(s)
        static = StaticBestPrice(s, true_demand_source(s))
        shares.append(evaluate_policy(s, static) / oracle.value)
    assert min(shares) < 0.97  # a mid-horizon delivery: no single price fits both stretches
    assert np.mean(shares) < 0.99


def test_scores_are_percent_of_oracle_on_common_random_numbers(small: list[Scenario]) -> None:
    uniforms = common_random_numbers(small, seed=5, draws=20)
    factories = baseline_factories()
    scores = score_policies(small, factories, uniforms)
    assert scores.percent["oracle"] == 100.0
    assert set(scores.percent) == {"oracle", *factories}
    assert all(len(values) == len(small) for values in scores.per_scenario.values())
    # Each figure is the policy's mean reward on the shared draws as a share of the oracle's.
    s, rows = small[0], uniforms[0]
    for name, factory in factories.items():
        policy = factory(s)
        share = np.mean([simulate(s, policy, r) for r in rows]) / scores.oracle_mean[0]
        assert scores.per_scenario[name][0] == pytest.approx(100.0 * share)
        assert scores.percent[name] == pytest.approx(np.mean(scores.per_scenario[name]))
    oracle_paths = [simulate(s, solve_oracle(s), r) for r in rows]
    assert scores.oracle_mean[0] == pytest.approx(np.mean(oracle_paths))
    again = score_policies(small, factories, uniforms)
    assert again.percent == scores.percent
    assert np.array_equal(again.oracle_mean, scores.oracle_mean)


def test_oracle_solves_a_full_size_scenario_quickly() -> None:
    s = next(s for s in make_scenarios(20, seed=0) if 450 <= s.max_inventory <= 650)
    _ = s.true_units  # the demand table is the scenario's, not the solver's
    began = time.perf_counter()
    oracle = solve_oracle(s)
    assert time.perf_counter() - began < 5.0  # typically well under a second
    assert s.horizon == 28 and len(s.grid) <= 60
    assert oracle.best.shape == (28, s.max_inventory + 1, len(s.grid))
    assert evaluate_policy(s, oracle) == pytest.approx(oracle.value, rel=1e-9)
