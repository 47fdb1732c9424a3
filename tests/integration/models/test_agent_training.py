"""Tiny PPO through RLlib: trains, exports to arrays, and the export replays the module."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.market.scenario_gen import make_scenarios
from pricing.market.scenarios import simulate
from pricing.models.agent import OBS_SIZE, AgentPolicy, PricingEnv
from pricing.models.agent_export import NumpyPolicy
from pricing.models.agent_train import PPOSettings, train_ppo
from pricing.policy.baselines import true_demand_source

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="session")
def tiny_agent():
    """One tiny training shared by every test that needs a trained agent (~1 minute)."""
    return train_ppo(PricingEnv, {"seed": 0, "horizon": 14}, PPOSettings.quick(seed=0))


def test_tiny_training_exports_a_runnable_policy(tiny_agent, tmp_path):
    policy = tiny_agent.policy
    assert len(tiny_agent.history) == PPOSettings.quick().iterations
    obs = np.zeros((3, OBS_SIZE), np.float32)
    assert policy.logits(obs).shape == (3, 15)
    policy.save(tmp_path)
    again = NumpyPolicy.load(tmp_path)
    assert np.allclose(again.logits(obs), policy.logits(obs))


def test_agent_prices_scenarios_on_the_ladder(tiny_agent):
    scenarios = make_scenarios(3, seed=1, horizon=14)
    uniforms = np.random.default_rng(0).random((3, 14))
    for scenario, row in zip(scenarios, uniforms, strict=True):
        agent = AgentPolicy.for_scenario(scenario, true_demand_source(scenario), tiny_agent.policy)
        assert simulate(scenario, agent, row) >= 0.0  # simulate raises if off the ladder
