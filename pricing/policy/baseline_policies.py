"""Baseline pricing policies: what the agent and the oracle are compared against.

Each policy picks a price on the step's ladder from a ``PricingState``; none sees the true demand
parameters. Those that need demand ask a ``DemandSource``: the truth here (``expected_units`` on
the simulator's context), a fitted forecast + price response later, through the same callable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pricing.market.scenarios import Policy, PricingState, Scenario
from pricing.models.demand_at_price import expected_units
from pricing.policy.oracle import PolicyFactory, step_values

__all__ = [
    "CompetitorMatch",
    "CostPlus",
    "DemandSource",
    "Myopic",
    "Policy",
    "PricingState",
    "StaticBestPrice",
    "baseline_factories",
    "true_demand_source",
]

#: Expected units at each of ``prices`` in the period and conditions of ``state``.
DemandSource = Callable[[PricingState, np.ndarray], np.ndarray]


def true_demand_source(scenario: Scenario) -> DemandSource:
    """Demand from ``expected_units`` on the scenario's true context (the oracle's demand)."""

    def source(state: PricingState, prices: np.ndarray) -> np.ndarray:
        context = scenario.context(state.t, state.competitor_price)
        return expected_units(state.product_id, state.location_id, prices, context)

    return source


def _unit_margin(state: PricingState, prices: np.ndarray) -> np.ndarray:
    """What one unit sold earns: the price, or the price less cost when maximizing profit."""
    if state.reward == "profit" and math.isfinite(state.unit_cost):
        return prices - state.unit_cost
    return prices


class StaticBestPrice:
    """One price for the whole horizon: the best constant price in expectation.

    The price is chosen once, from the scenario's price grid, by the expected reward of holding
    it fixed (stock and deliveries included) under the given demand source. It is clipped onto
    each step's ladder, so a far-away best price is approached within the max-change limit.
    """

    def __init__(self, scenario: Scenario, source: DemandSource) -> None:
        grid = scenario.grid
        start = scenario.state(0, scenario.initial_inventory, scenario.initial_price)
        values = np.zeros((scenario.max_inventory + 1, len(grid)))
        margins = _unit_margin(start, grid)
        for t in reversed(range(scenario.horizon)):
            state = scenario.state(t, scenario.initial_inventory, scenario.initial_price)
            means = np.asarray(source(state, grid), dtype=float)
            upcoming = int(scenario.arrivals[t + 1]) if t + 1 < scenario.horizon else 0
            values = step_values(values, means, margins, upcoming)
        stock = min(scenario.initial_inventory + int(scenario.arrivals[0]), len(values) - 1)
        self.values = values[stock]
        self.price = float(grid[int(np.argmax(self.values))])

    def choose(self, state: PricingState) -> float:
        """The static price, or the nearest allowed one."""
        return state.ladder.nearest(self.price)


@dataclass(frozen=True)
class CostPlus:
    """Unit cost plus a fixed markup (keeps the price in effect when the cost is unknown)."""

    markup: float = 0.35

    def choose(self, state: PricingState) -> float:
        """The ladder price nearest to cost * (1 + markup)."""
        if not math.isfinite(state.unit_cost) or state.unit_cost <= 0:
            return state.ladder.nearest(state.price_in_effect)
        return state.ladder.nearest(state.unit_cost * (1.0 + self.markup))


@dataclass(frozen=True)
class CompetitorMatch:
    """Match the competitor as closely as the ladder allows."""

    def choose(self, state: PricingState) -> float:
        """The ladder price nearest to the competitor's."""
        if not math.isfinite(state.competitor_price):
            return state.ladder.nearest(state.price_in_effect)
        return state.ladder.nearest(state.competitor_price)


@dataclass(frozen=True)
class Myopic:
    """Best for this period only: argmax of margin x min(expected units, stock) on the ladder.

    Ties go to the higher price, so a higher competitor price (more demand at every price)
    never lowers the choice.
    """

    source: DemandSource

    def choose(self, state: PricingState) -> float:
        """The ladder price with the best expected reward this period."""
        prices = state.ladder.prices
        units = np.minimum(np.asarray(self.source(state, prices), dtype=float), state.inventory)
        value = _unit_margin(state, prices) * units
        top = float(value.max())
        chosen = np.flatnonzero(value >= top - 1e-12 * max(abs(top), 1.0))[-1]
        return float(prices[chosen])


def baseline_factories(
    source_factory: Callable[[Scenario], DemandSource] = true_demand_source,
) -> dict[str, PolicyFactory]:
    """The baselines by name, their demand from ``source_factory`` (truth by default)."""
    return {
        "static": lambda s: StaticBestPrice(s, source_factory(s)),
        "cost_plus": lambda s: CostPlus(),
        "competitor_match": lambda s: CompetitorMatch(),
        "myopic": lambda s: Myopic(source_factory(s)),
    }
