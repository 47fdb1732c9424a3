"""Evaluation scenarios: one product over a selling horizon, with the true demand known.

A scenario fixes everything a policy cannot change (true demand, start date, stock, deliveries,
the competitor's price path, the guardrails) so that every policy, and the oracle, can be played
on the same common random numbers. Products come from ids training never saw (P100001, ...).
Demand each period is Poisson around ``expected_units`` and sales are censored by stock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Protocol

import numpy as np
import pandas as pd
from scipy.stats import poisson

from pricing.market.demand import seasonal_factor
from pricing.market.params import ProductParams
from pricing.models.demand_at_price import DemandContext, expected_units, true_context
from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import Ladder, build_ladder, price_grid

Reward = Literal["revenue", "profit"]

HORIZON = 28


def demand_support(means: np.ndarray | float) -> int:
    """Most units worth enumerating for these Poisson means: the tail beyond is below 1e-20."""
    top = float(np.max(means, initial=0.0))
    return math.ceil(top + 12.0 * math.sqrt(top) + 30.0)


@dataclass(frozen=True)
class PricingState:
    """What a policy may know when pricing one period (never the true demand parameters)."""

    t: int
    horizon: int
    inventory: float
    price_in_effect: float
    competitor_price: float
    ladder: Ladder
    product_id: str
    category: str
    location_id: str
    unit_cost: float
    when: pd.Timestamp
    reward: Reward


class Policy(Protocol):
    """Picks this period's price; it must be one of ``state.ladder.prices``."""

    def choose(self, state: PricingState) -> float: ...


@dataclass(frozen=True, eq=False)
class Scenario:
    """One product over ``horizon`` periods; ``replenishment[t]`` arrives before period t sells."""

    params: ProductParams
    start: pd.Timestamp
    initial_inventory: int
    competitor_prices: np.ndarray
    limits: ProductLimits
    initial_price: float
    horizon: int = HORIZON
    replenishment: np.ndarray | None = None
    demand_shift: np.ndarray | None = None  # per-period demand multiplier (events, shocks)
    reward: Reward = "revenue"
    guardrails: GuardrailConfig = field(default_factory=lambda: GuardrailConfig.model_validate({}))
    location_id: str = "all"
    _ladders: dict[tuple[int, float], Ladder] = field(default_factory=dict, init=False, repr=False)
    _contexts: dict[tuple[int, float], DemandContext] = field(
        default_factory=dict, init=False, repr=False
    )
    _cdfs: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Private read-only copies: memoized ladders and draws must not go stale.
        for name in ("competitor_prices", "replenishment"):
            value = getattr(self, name)
            if value is not None:
                frozen = np.array(value, dtype=float if name == "competitor_prices" else np.int64)
                frozen.setflags(write=False)
                object.__setattr__(self, name, frozen)
        if len(self.competitor_prices) != self.horizon:
            raise ValueError("competitor_prices needs one price per period")
        if self.replenishment is not None and len(self.replenishment) != self.horizon:
            raise ValueError("replenishment needs one quantity per period")
        if self.initial_inventory < 0:
            raise ValueError("initial_inventory must be non-negative")

    @property
    def product_id(self) -> str:
        return self.params.product_id

    @cached_property
    def dates(self) -> tuple[pd.Timestamp, ...]:
        """Start date of every period (UTC days)."""
        return tuple(pd.date_range(self.start, periods=self.horizon, freq="D"))

    @cached_property
    def arrivals(self) -> np.ndarray:
        """Units arriving at the start of each period (zeros without replenishment)."""
        if self.replenishment is None:
            return np.zeros(self.horizon, dtype=np.int64)
        return np.asarray(self.replenishment, dtype=np.int64)

    @property
    def max_inventory(self) -> int:
        """The most stock the product can ever hold in this scenario."""
        return int(self.initial_inventory + self.arrivals.sum())

    @cached_property
    def grid(self) -> np.ndarray:
        """Every price any step's ladder can hold: the guardrail grid plus the initial price."""
        return np.union1d(price_grid(self.limits, self.guardrails), [round(self.initial_price, 2)])

    @cached_property
    def _grid_positions(self) -> dict[float, int]:
        return {round(float(price), 2): i for i, price in enumerate(self.grid)}

    def grid_index(self, price: float) -> int:
        """Position of a ladder price on ``grid``."""
        index = self._grid_positions.get(round(float(price), 2))
        if index is None or abs(self.grid[index] - price) > 1e-6:
            raise ValueError(f"{price} is not a price this scenario's ladders can hold")
        return index

    @cached_property
    def seasonal(self) -> np.ndarray:
        """True demand at reference prices for every period, computed in one vectorized call."""
        base = np.asarray(seasonal_factor(self.params, pd.DatetimeIndex(self.dates)), dtype=float)
        return base if self.demand_shift is None else base * np.asarray(self.demand_shift)

    def context(self, t: int, competitor_price: float | None = None) -> DemandContext:
        """The true demand context of period ``t`` (the competitor's path unless overridden)."""
        competitor = self.competitor_prices[t] if competitor_price is None else competitor_price
        key = (t, float(competitor))
        if key not in self._contexts:
            self._contexts[key] = true_context(
                self.params,
                self.dates[t],
                self.params.ref_price,
                float(competitor),
                seasonal=float(self.seasonal[t]),
            )
        return self._contexts[key]

    @cached_property
    def true_units(self) -> np.ndarray:
        """True expected units, (horizon, len(grid)): period by price on the grid."""
        return np.stack(
            [
                expected_units(self.product_id, self.location_id, self.grid, self.context(t))
                for t in range(self.horizon)
            ]
        )

    def demand_cdf(self, t: int, k: int) -> np.ndarray:
        """P(demand <= d), d = 0..support, in period t at grid price k: draws invert it."""
        if (t, k) not in self._cdfs:
            mean = float(self.true_units[t, k])
            self._cdfs[t, k] = poisson.cdf(np.arange(demand_support(mean) + 1), mean)
        return self._cdfs[t, k]

    def margin(self, prices: np.ndarray | float) -> np.ndarray:
        """Reward per unit sold at each price: the price, or the price less unit cost."""
        prices = np.asarray(prices, dtype=float)
        return prices - self.params.unit_cost if self.reward == "profit" else prices

    def ladder(self, t: int, price_in_effect: float) -> Ladder:
        """The allowed prices of period ``t`` (memoized: scenarios replay the same states)."""
        key = (t, round(price_in_effect, 6))
        if key not in self._ladders:
            self._ladders[key] = build_ladder(
                self.limits, self.guardrails, price_in_effect, float(self.competitor_prices[t])
            )
        return self._ladders[key]

    def state(self, t: int, inventory: float, price_in_effect: float) -> PricingState:
        """The state a policy sees in period ``t`` with ``inventory`` on hand (arrivals in)."""
        return PricingState(
            t=t,
            horizon=self.horizon,
            inventory=float(inventory),
            price_in_effect=float(price_in_effect),
            competitor_price=float(self.competitor_prices[t]),
            ladder=self.ladder(t, price_in_effect),
            product_id=self.product_id,
            category=self.params.category,
            location_id=self.location_id,
            unit_cost=self.params.unit_cost,
            when=self.dates[t],
            reward=self.reward,
        )


def common_random_numbers(scenarios: list[Scenario], seed: int, draws: int) -> np.ndarray:
    """Uniforms (n_scenarios, draws, max horizon): every policy meets the same demand draws."""
    horizon = max((s.horizon for s in scenarios), default=0)
    return np.random.default_rng(seed).random((len(scenarios), draws, horizon))


def simulate(scenario: Scenario, policy: Policy, uniforms_row: np.ndarray) -> float:
    """Play one path; the total revenue (or profit) of the horizon.

    Raises if the policy leaves the ladder: guardrails hold by construction, not by hope.
    """
    on_hand, price, total = float(scenario.initial_inventory), scenario.initial_price, 0.0
    for t in range(scenario.horizon):
        on_hand += scenario.arrivals[t]
        state = scenario.state(t, on_hand, price)
        chosen = float(policy.choose(state))
        price = state.ladder.nearest(chosen)
        if abs(price - chosen) > 1e-6:
            raise ValueError(f"{type(policy).__name__} chose {chosen}, not on the ladder")
        # Poisson inverse CDF: the smallest k with P(D <= k) >= u.
        cdf = scenario.demand_cdf(t, scenario.grid_index(price))
        units = int(np.searchsorted(cdf, uniforms_row[t]))
        sold = min(float(units), on_hand)
        total += float(scenario.margin(price)) * sold
        on_hand -= sold
    return total
