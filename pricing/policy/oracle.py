"""The oracle: the policy optimal in expectation on the TRUE demand, and scoring against it.

Dynamic programming over (period, stock on hand, price in effect). The prices allowed in a state
are exactly ``build_ladder`` for that price in effect and that period's competitor price, mapped
onto the scenario's grid, so the oracle plays by the same guardrails as every other policy.
Demand is Poisson, sales are censored by stock, deliveries arrive before a period sells, and
leftover stock is worth nothing at the end. Every policy is scored as a percentage of it, on
common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve
from scipy.stats import poisson

from pricing.market.scenarios import Policy, PricingState, Scenario, demand_support, simulate

PolicyFactory = Callable[[Scenario], Policy]


def step_values(
    next_values: np.ndarray, means: np.ndarray, margins: np.ndarray, arrivals_next: int
) -> np.ndarray:
    """Expected reward-to-go of one period, (stock 0..X, price k), selling at price k.

    ``next_values[y, k]`` is the value of the next period with ``y`` units available and price
    k in effect; what is left after this period's sales is topped up by ``arrivals_next``.
    Sales are min(Poisson demand, stock).
    """
    cap = next_values.shape[0] - 1
    top = min(cap, demand_support(means))
    demand = np.arange(top + 1)[:, None]
    pmf = poisson.pmf(demand, means[None, :])
    tail = np.maximum(1.0 - np.cumsum(pmf, axis=0), 0.0)  # P(D > d)
    # E[min(D, x)] = sum_{k < x} P(D > k); beyond the support it no longer grows.
    sold = np.zeros((cap + 1, len(means)))
    sold[1 : top + 2] = np.cumsum(tail, axis=0)[:cap]
    if top + 2 <= cap:
        sold[top + 2 :] = sold[top + 1]
    shifted = next_values[np.minimum(np.arange(cap + 1) + arrivals_next, cap)]
    # Stock x - d for d <= x (a convolution), and 0 when demand exceeds stock.
    carried = fftconvolve(shifted, pmf, axes=0)[: cap + 1]
    overflow = np.zeros((cap + 1, len(means)))
    overflow[: top + 1] = tail[: cap + 1]
    carried += overflow * shifted[0][None, :]
    return margins[None, :] * sold + carried


def allowed_mask(scenario: Scenario) -> np.ndarray:
    """``mask[t, j, k]``: price k may be set in period t when price j is in effect."""
    grid = scenario.grid
    mask = np.zeros((scenario.horizon, len(grid), len(grid)), dtype=bool)
    for t in range(scenario.horizon):
        for j, price in enumerate(grid):
            prices = scenario.ladder(t, float(price)).prices
            index = np.searchsorted(grid, prices - 1e-6)
            if np.any(np.abs(grid[np.minimum(index, len(grid) - 1)] - prices) > 1e-6):
                raise ValueError(f"ladder of {scenario.product_id} left the scenario grid")
            mask[t, j, index] = True
    return mask


@dataclass(frozen=True, eq=False)
class OraclePolicy:
    """Reads the DP table: the best price for (period, stock, price in effect)."""

    scenario: Scenario
    best: np.ndarray
    value: float

    def choose(self, state: PricingState) -> float:
        """The DP's price for this state (always on the state's ladder)."""
        stock = min(max(round(state.inventory), 0), self.best.shape[1] - 1)
        j = self.scenario.grid_index(state.price_in_effect)
        return state.ladder.nearest(float(self.scenario.grid[self.best[state.t, stock, j]]))


def solve_oracle(scenario: Scenario) -> OraclePolicy:
    """Backward induction on the true demand; ``.value`` is the optimal expected reward."""
    grid, mask = scenario.grid, allowed_mask(scenario)
    size, arrivals = scenario.max_inventory + 1, scenario.arrivals
    margins = scenario.margin(grid)
    best = np.zeros((scenario.horizon, size, len(grid)), dtype=np.int16)
    values = np.zeros((size, len(grid)))
    rows = np.arange(size)
    for t in reversed(range(scenario.horizon)):
        upcoming = int(arrivals[t + 1]) if t + 1 < scenario.horizon else 0
        worth = step_values(values, scenario.true_units[t], margins, upcoming)
        values = np.empty_like(worth)
        for j in range(len(grid)):
            allowed = np.flatnonzero(mask[t, j])
            first, last = int(allowed[0]), int(allowed[-1])
            # Ladders are usually a run of the grid: a slice is a view, fancy indexing a copy.
            block = worth[:, first : last + 1] if last - first + 1 == len(allowed) else None
            pick = np.argmax(worth[:, allowed] if block is None else block, axis=1)
            chosen = allowed[pick]
            best[t, :, j] = chosen
            values[:, j] = worth[rows, chosen]
    start = min(scenario.initial_inventory + int(arrivals[0]), size - 1)
    value = float(values[start, scenario.grid_index(scenario.initial_price)])
    return OraclePolicy(scenario=scenario, best=best, value=value)


def evaluate_policy(scenario: Scenario, policy: Policy, prune: float = 1e-13) -> float:
    """Exact expected reward of a Markov policy on the true demand (no Monte Carlo noise).

    Pushes the distribution of (stock, price in effect) forward; states rarer than ``prune``
    are dropped, so the result is exact to about that mass times the horizon's reward.
    """
    grid, size = scenario.grid, scenario.max_inventory + 1
    prob = np.zeros((size, len(grid)))
    prob[min(scenario.initial_inventory + int(scenario.arrivals[0]), size - 1),
         scenario.grid_index(scenario.initial_price)] = 1.0  # fmt: skip
    total = 0.0
    for t in range(scenario.horizon):
        upcoming = int(scenario.arrivals[t + 1]) if t + 1 < scenario.horizon else 0
        following = np.zeros_like(prob)
        for stock, j in zip(*np.nonzero(prob > prune), strict=True):
            state = scenario.state(t, float(stock), float(grid[j]))
            k = scenario.grid_index(state.ladder.nearest(policy.choose(state)))
            cdf = scenario.demand_cdf(t, k)
            upto = np.ones(stock + 1)  # P(sales <= s): the demand's CDF below the stock, then 1
            upto[: min(stock, len(cdf))] = cdf[: min(stock, len(cdf))]
            sales = np.diff(upto, prepend=0.0)
            total += (
                prob[stock, j]
                * float(scenario.margin(grid[k]))
                * float(np.arange(stock + 1) @ sales)
            )
            left = np.minimum(stock - np.arange(stock + 1) + upcoming, size - 1)
            np.add.at(following[:, k], left, prob[stock, j] * sales)
        prob = following
    return total


@dataclass(frozen=True)
class PolicyScores:
    """Policies as % of the oracle on the same uniforms (oracle = 100)."""

    percent: dict[str, float]
    per_scenario: dict[str, np.ndarray]
    oracle_mean: np.ndarray
    oracle_expected: np.ndarray


def score_policies(
    scenarios: list[Scenario], policies: Mapping[str, PolicyFactory], uniforms: np.ndarray
) -> PolicyScores:
    """Mean simulated reward of each policy as % of the oracle's, averaged over scenarios."""
    per: dict[str, list[float]] = {"oracle": [], **{name: [] for name in policies}}
    oracle_mean, oracle_expected = [], []
    for scenario, rows in zip(scenarios, uniforms, strict=True):
        oracle = solve_oracle(scenario)
        reference = float(np.mean([simulate(scenario, oracle, row) for row in rows]))
        oracle_mean.append(reference)
        oracle_expected.append(oracle.value)
        per["oracle"].append(100.0)
        for name, factory in policies.items():
            policy = factory(scenario)
            mean = float(np.mean([simulate(scenario, policy, row) for row in rows]))
            per[name].append(100.0 * mean / reference if reference > 0 else float("nan"))
    arrays = {name: np.asarray(values) for name, values in per.items()}
    return PolicyScores(
        percent={name: float(np.mean(values)) for name, values in arrays.items()},
        per_scenario=arrays,
        oracle_mean=np.asarray(oracle_mean),
        oracle_expected=np.asarray(oracle_expected),
    )
