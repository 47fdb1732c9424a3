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
    keep = action_price(state, N_ACTIONS // 2, env.scenario.guardrails.max_change)
    if state.ladder.contains(state.price_in_effect):
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
