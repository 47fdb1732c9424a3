"""The pricing agent's world: a gymnasium environment over randomized scenarios.

Demand comes from ``expected_units`` (through a scenario's demand source) and every action is
projected onto that step's guardrail ladder, so no action can break a guardrail. The same
observation function feeds training, the benchmark and the service, so one exported agent
serves all three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from pricing.market.scenario_gen import make_scenarios
from pricing.market.scenarios import PricingState, Scenario
from pricing.models.agent_export import NumpyPolicy
from pricing.policy.baseline_policies import DemandSource, true_demand_source
from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import ladder_bounds

N_ACTIONS = 15
DEFAULT_MAX_CHANGE = 0.15  # the action range when no max-change rule is set
OBS_SIZE = 12
_TRAINING_SEED_BASE = 9_000_000  # training markets never share seeds with benchmark scenarios


def action_price(
    state: PricingState, action: int, max_change: float, n_actions: int = N_ACTIONS
) -> float:
    """Action k asks for a move of the price in effect between -max_change and +max_change;
    the ladder's nearest price is what happens (the middle action keeps the price)."""
    step = 2.0 * action / (n_actions - 1) - 1.0
    return state.ladder.nearest(state.price_in_effect * (1.0 + max_change * step))


@dataclass
class Outlook:
    """Per-scenario demand facts the observation needs, computed once per episode."""

    reference: float
    ref_units: np.ndarray  # expected units at the reference price, per period
    elasticity: np.ndarray  # arc elasticity (+-5%) at the reference price, per period
    arrivals: np.ndarray  # scheduled deliveries, per period (known to the retailer)

    @classmethod
    def build(cls, scenario: Scenario, source: DemandSource) -> Outlook:
        reference = float(scenario.initial_price)
        probe = np.array([0.95, 1.0, 1.05]) * reference
        units = np.array(
            [
                np.asarray(source(scenario.state(t, 0.0, reference), probe), dtype=float)
                for t in range(scenario.horizon)
            ]
        )
        lo, mid, hi = np.maximum(units[:, 0], 1e-9), units[:, 1], np.maximum(units[:, 2], 1e-9)
        elasticity = np.log(hi / lo) / math.log(1.05 / 0.95)
        arrivals = np.asarray(scenario.arrivals, dtype=float)
        return cls(reference, np.maximum(mid, 1e-9), elasticity, arrivals)


def observation(state: PricingState, outlook: Outlook) -> np.ndarray:
    """Normalized view of the state: prices / reference, stock cover before and after the next
    delivery, time left, elasticity, demand momentum and the ladder's reach."""
    ref, t, horizon = outlook.reference, state.t, state.horizon
    demand = outlook.ref_units
    later = np.flatnonzero(outlook.arrivals[t + 1 :] > 0)
    upcoming = t + 1 + int(later[0]) if len(later) else horizon
    cover_now = state.inventory / max(float(demand[t:upcoming].sum()), 1e-9)
    total = state.inventory + float(outlook.arrivals[t + 1 :].sum())
    cover_all = total / max(float(demand[t:].sum()), 1e-9)
    lo, hi = state.ladder.prices[0], state.ladder.prices[-1]
    cost = state.unit_cost if math.isfinite(state.unit_cost) else 0.0
    momentum = demand[t] / max(float(demand[t:].mean()), 1e-9)
    obs = [
        state.price_in_effect / ref - 1.0,
        state.competitor_price / ref - 1.0 if math.isfinite(state.competitor_price) else 0.0,
        math.log(cover_now + 1e-3),
        math.log(cover_all + 1e-3),
        (upcoming - t) / horizon,
        (horizon - t) / horizon,
        float(outlook.elasticity[t]) / 3.0,
        momentum - 1.0,
        lo / ref - 1.0,
        hi / ref - 1.0,
        cost / ref if state.reward == "profit" else 0.0,
        1.0 if state.reward == "profit" else 0.0,
    ]
    return np.clip(np.asarray(obs, dtype=np.float32), -10.0, 10.0)


class PricingEnv(gym.Env):
    """One episode = one random market's selling horizon, on its true demand."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = dict(config or {})
        self.horizon = int(config.get("horizon", 28))
        self.reward_kind = config.get("reward", "revenue")
        self.elasticity_noise = float(config.get("elasticity_noise", 0.0))
        worker = int(getattr(config, "worker_index", 0)) * 1000 + int(
            getattr(config, "vector_index", 0)
        )
        seeds = np.random.SeedSequence([int(config.get("seed", 0)), worker])
        self._np_random = np.random.default_rng(seeds)  # gymnasium's own rng slot
        self.observation_space = gym.spaces.Box(-10.0, 10.0, (OBS_SIZE,), np.float32)
        self.action_space = gym.spaces.Discrete(N_ACTIONS)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        market_seed = _TRAINING_SEED_BASE + int(self.np_random.integers(0, 2**31 - 1))
        self.scenario = make_scenarios(1, market_seed, self.horizon, self.reward_kind)[0]
        self.outlook = Outlook.build(self.scenario, true_demand_source(self.scenario))
        if self.elasticity_noise:
            self.outlook.elasticity = self.outlook.elasticity * self.np_random.lognormal(
                0.0, self.elasticity_noise
            )
        self.scale = max(self.outlook.reference * float(self.outlook.ref_units.mean()), 1e-9)
        self.t, self.on_hand = 0, float(self.scenario.initial_inventory)
        self.price = float(self.scenario.initial_price)
        self.on_hand += float(self.scenario.arrivals[0])
        self.state = self.scenario.state(0, self.on_hand, self.price)
        return observation(self.state, self.outlook), {}

    def step(self, action: int):
        s = self.scenario
        price = action_price(self.state, int(action), s.guardrails.max_change or DEFAULT_MAX_CHANGE)
        mean = float(s.true_units[self.t, s.grid_index(price)])
        sold = min(float(self.np_random.poisson(mean)), self.on_hand)
        reward = float(s.margin(price)) * sold / self.scale
        self.on_hand -= sold
        self.price = price
        self.t += 1
        done = self.t >= s.horizon
        if not done:
            self.on_hand += float(s.arrivals[self.t])
            self.state = s.state(self.t, self.on_hand, self.price)
        return observation(self.state, self.outlook), reward, done, False, {"price": price}


#: Competitor levels (x reference price) the agent's answer is maximized over, see AgentPolicy.
COMPETITOR_GRID = np.round(np.arange(0.40, 2.0001, 0.02), 2)


class AgentPolicy:
    """The exported agent as a benchmark/service policy (greedy, no Ray, no torch).

    ``monotone`` enforces by construction that a higher competitor price never lowers our
    price: the agent is asked at every competitor level of a fixed grid up to the actual one
    (the actual price read to the grid step below it), each with the ladder floor and ceiling
    that level would bring, and the highest answer wins, projected onto this step's ladder.
    With ladders whose floor and ceiling never fall as the competitor rises (see
    ``build_ladder``), the price is then non-decreasing in the competitor price.
    """

    def __init__(
        self,
        outlook: Outlook,
        limits: ProductLimits,
        config: GuardrailConfig,
        policy: NumpyPolicy,
        monotone: bool = True,
    ) -> None:
        self.outlook, self.limits, self.config = outlook, limits, config
        self.max_change = config.max_change or DEFAULT_MAX_CHANGE
        self.policy = policy
        self.monotone = monotone

    @classmethod
    def for_scenario(
        cls, scenario: Scenario, source: DemandSource, policy: NumpyPolicy, monotone: bool = True
    ) -> AgentPolicy:
        outlook = Outlook.build(scenario, source)
        return cls(outlook, scenario.limits, scenario.guardrails, policy, monotone)

    def questions(self, state: PricingState) -> np.ndarray:
        """The observations the agent is asked for this state (one row per competitor level;
        a single row when not monotone or without a competitor price)."""
        obs = observation(state, self.outlook)
        if not self.monotone or not math.isfinite(state.competitor_price):
            return obs[None, :]
        ref = self.outlook.reference
        below = COMPETITOR_GRID[state.competitor_price / ref + 1e-9 >= COMPETITOR_GRID]
        if not len(below):
            below = COMPETITOR_GRID[:1]
        lo, hi = ladder_bounds(self.limits, self.config, state.price_in_effect, below * ref)
        batch = np.repeat(obs[None, :], len(below), axis=0)
        batch[:, 1], batch[:, 8], batch[:, 9] = below - 1.0, lo / ref - 1.0, hi / ref - 1.0
        return np.clip(batch, -10.0, 10.0)

    def answer(self, state: PricingState, probs: np.ndarray) -> tuple[float, float]:
        """The price from the answers to ``questions``: the highest move asked for, projected
        onto this step's ladder, and the probability of that action."""
        actions = np.argmax(probs, axis=1)
        moves = 2.0 * actions / (N_ACTIONS - 1) - 1.0
        best = int(np.argmax(moves))
        target = state.price_in_effect * (1.0 + self.max_change * moves[best])
        return state.ladder.nearest(target), float(probs[best, actions[best]])

    def decide(self, state: PricingState) -> tuple[float, float]:
        """The price and the probability the agent gives the action that set it."""
        return self.answer(state, self.policy.probabilities(self.questions(state)))

    def choose(self, state: PricingState) -> float:
        return self.decide(state)[0]
