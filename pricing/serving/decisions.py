"""The agent's decisions for a whole request in one forward pass, counterfactuals included.

Serving asks the exported agent the same questions as :class:`pricing.models.agent.AgentPolicy`
(one observation per competitor level of ``COMPETITOR_GRID`` up to the actual one, the highest
answer wins, projected onto the step's ladder), but for every item of a request at once, and
for each item's counterfactuals too: the price the policy would choose with one driver made
neutral (ample stock, the competitor at our price, the catalogue's median elasticity) on the
same ladder. Those prices attribute the move (:mod:`pricing.serving.attribution`).

At serving time the outlook is flat (one forecast per period over the horizon, no scheduled
deliveries, t = 0), so the observation has a closed form that numpy builds for all asks at
once; ``tests/unit/serving/test_decisions.py`` proves it equal to ``AgentPolicy.decide``. The
ladder bounds at each competitor level depend only on the item, its price in effect and how
many levels are asked, so they are computed once and remembered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pricing.models.agent import COMPETITOR_GRID, DEFAULT_MAX_CHANGE, N_ACTIONS
from pricing.models.agent_export import NumpyPolicy
from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import Ladder, ladder_bounds

#: How many distinct (item, price in effect, competitor levels) bounds are remembered.
BOUNDS_MEMO = 100_000


@dataclass(frozen=True)
class Ask:
    """One question for the agent: an item's situation, actual or with a driver made neutral."""

    key: tuple[str, str]  # (product, location): the bounds memo's key with the prices below
    limits: ProductLimits
    config: GuardrailConfig
    ladder: Ladder
    reference: float  # the forecast's reference price
    base: float  # expected units per period at the reference
    current: float  # the price in effect
    competitor: float  # NaN when unknown
    inventory: float  # stock the agent plans with (finite)
    elasticity: float
    unit_cost: float  # NaN when unknown


class BatchDecider:
    """Decides many asks with one exported policy in one forward pass."""

    def __init__(self, policy: NumpyPolicy, horizon: int, reward: str) -> None:
        self.policy, self.horizon, self.profit = policy, horizon, reward == "profit"
        self._bounds: dict[tuple[str, str, float, float, int], tuple[np.ndarray, np.ndarray]] = {}

    def _level_bounds(self, ask: Ask, levels: int) -> tuple[np.ndarray, np.ndarray]:
        """Ladder floor and ceiling (/ reference - 1) at the first ``levels`` grid levels,
        remembered per (item, price in effect, reference, levels)."""
        key = (*ask.key, ask.current, ask.reference, levels)
        found = self._bounds.get(key)
        if found is None:
            if len(self._bounds) >= BOUNDS_MEMO:
                self._bounds.clear()  # prices moved on; start over rather than grow
            price = ask.current if math.isfinite(ask.current) else None
            grid = COMPETITOR_GRID[:levels] * ask.reference
            lo, hi = ladder_bounds(ask.limits, ask.config, price, grid)
            found = self._bounds[key] = (lo / ask.reference - 1.0, hi / ask.reference - 1.0)
        return found

    def observations(self, asks: Sequence[Ask]) -> tuple[np.ndarray, np.ndarray]:
        """Every ask's questions stacked (rows, 12) and where each ask's rows start."""
        n = len(asks)
        ref = np.array([a.reference for a in asks])
        current = np.array([a.current for a in asks])
        competitor = np.array([a.competitor for a in asks])
        cover = np.array([a.inventory for a in asks]) / np.maximum(
            self.horizon * np.array([a.base for a in asks]), 1e-9
        )
        lo = np.array([a.ladder.prices[0] for a in asks])
        hi = np.array([a.ladder.prices[-1] for a in asks])
        known = np.isfinite(competitor)
        obs = np.empty((n, 12))
        obs[:, 0] = current / ref - 1.0
        obs[:, 1] = np.where(known, competitor / ref - 1.0, 0.0)
        obs[:, 2] = obs[:, 3] = np.log(cover + 1e-3)
        obs[:, 4] = obs[:, 5] = 1.0  # no delivery before the horizon's end; t = 0
        obs[:, 6] = np.array([a.elasticity for a in asks]) / 3.0
        obs[:, 7] = 0.0  # a flat forecast has no momentum
        obs[:, 8], obs[:, 9] = lo / ref - 1.0, hi / ref - 1.0
        if self.profit:
            cost = np.array([a.unit_cost for a in asks])
            obs[:, 10] = np.where(np.isfinite(cost), cost, 0.0) / ref
            obs[:, 11] = 1.0
        else:
            obs[:, 10] = obs[:, 11] = 0.0
        single = np.clip(obs.astype(np.float32), -10.0, 10.0)
        # Competitor levels asked per item: those at or below the actual competitor price.
        counts = np.ones(n, dtype=int)
        levels = np.searchsorted(COMPETITOR_GRID, competitor[known] / ref[known] + 1e-9, "right")
        counts[known] = np.maximum(levels, 1)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rows = np.repeat(single, counts, axis=0)
        for i in np.flatnonzero(known):
            at, k = starts[i], counts[i]
            floor, ceiling = self._level_bounds(asks[int(i)], int(k))
            part = rows[at : at + k]
            part[:, 1] = COMPETITOR_GRID[:k] - 1.0
            part[:, 8], part[:, 9] = floor, ceiling
        return np.clip(rows, -10.0, 10.0), starts

    def decide(self, asks: Sequence[Ask]) -> tuple[np.ndarray, np.ndarray]:
        """The price each ask leads to (on its ladder) and the probability of that action."""
        if not asks:
            return np.zeros(0), np.zeros(0)
        rows, starts = self.observations(asks)
        probs = self.policy.probabilities(rows)
        actions = np.argmax(probs, axis=1)
        moves = 2.0 * actions / (N_ACTIONS - 1) - 1.0
        # The first row holding each ask's highest move (np.argmax's choice within it).
        owner = np.repeat(np.arange(len(asks)), np.diff(np.append(starts, len(rows))))
        top = np.maximum.reduceat(moves, starts)
        position = np.where(moves == top[owner], np.arange(len(rows)), len(rows))
        best = np.minimum.reduceat(position, starts)
        chosen = probs[best, actions[best]]
        prices = np.empty(len(asks))
        for i, a in enumerate(asks):
            change = a.config.max_change or DEFAULT_MAX_CHANGE
            prices[i] = a.ladder.nearest(a.current * (1.0 + change * top[i]))
        return prices, chosen.astype(float)
