"""The agent's environment: observations in range, every action on the ladder."""

from __future__ import annotations

import numpy as np
from gymnasium.utils.env_checker import check_env

from pricing.models.agent import N_ACTIONS, OBS_SIZE, PricingEnv, action_price


def test_env_follows_the_gymnasium_contract():
    check_env(PricingEnv({"seed": 3}), skip_render_check=True)


def test_every_action_lands_on_the_ladder_and_stock_never_goes_negative():
    env = PricingEnv({"seed": 5})
    rng = np.random.default_rng(0)
    for _ in range(5):
        obs, _ = env.reset()
        assert obs.shape == (OBS_SIZE,) and np.isfinite(obs).all()
        done = False
        while not done:
            state = env.state
            action = int(rng.integers(N_ACTIONS))
            expected = action_price(state, action, env.scenario.guardrails.max_change)
            assert state.ladder.contains(expected)
            obs, reward, done, _, info = env.step(action)
            assert info["price"] == expected and reward >= 0 and env.on_hand >= 0


def test_middle_action_keeps_the_price_when_allowed():
    env = PricingEnv({"seed": 8})
    env.reset()
    state = env.state
    assert state.ladder.contains(state.price_in_effect)  # the opening price is allowed
    keep = action_price(state, N_ACTIONS // 2, env.scenario.guardrails.max_change)
    assert keep == state.price_in_effect


def test_same_seed_same_episodes():
    a, b = PricingEnv({"seed": 11}), PricingEnv({"seed": 11})
    for _ in range(2):
        oa, _ = a.reset()
        ob, _ = b.reset()
        assert np.array_equal(oa, ob)
        for action in (0, 14, 7, 3):
            ra, rb = a.step(action), b.step(action)
            assert ra[1] == rb[1]


def test_higher_competitor_price_never_lowers_the_agents_price():
    """Behavioural: enforced by construction, whatever the weights (here random ones)."""
    import dataclasses

    from pricing.market.scenario_gen import make_scenarios
    from pricing.models.agent import AgentPolicy
    from pricing.models.agent_export import NumpyPolicy
    from pricing.policy.baseline_policies import true_demand_source

    rng = np.random.default_rng(1)
    weights = NumpyPolicy(
        [(rng.normal(size=(16, OBS_SIZE)).astype(np.float32), np.zeros(16, np.float32))],
        (rng.normal(size=(N_ACTIONS, 16)).astype(np.float32), np.zeros(N_ACTIONS, np.float32)),
    )
    for scenario in make_scenarios(4, seed=2):
        agent = AgentPolicy.for_scenario(scenario, true_demand_source(scenario), weights)
        for _ in range(25):
            t = int(rng.integers(scenario.horizon))
            state = scenario.state(
                t,
                float(rng.integers(0, scenario.max_inventory + 1)),
                float(rng.choice(scenario.grid)),
            )
            prices = [
                agent.choose(
                    dataclasses.replace(state, competitor_price=state.competitor_price * factor)
                )
                for factor in (0.7, 0.9, 1.0, 1.1, 1.4)
            ]
            assert prices == sorted(prices)
            assert all(state.ladder.contains(p) for p in prices)
