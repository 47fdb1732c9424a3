"""Tiny PPO through RLlib: trains, exports to arrays, and the export replays the module
(training checks it with ``verify_export``, which catches a corrupted export)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pricing.market.scenario_gen import make_scenarios
from pricing.market.scenarios import simulate
from pricing.models.agent import OBS_SIZE, AgentPolicy, PricingEnv
from pricing.models.agent_export import WEIGHTS_FILE, NumpyPolicy, from_state_dict
from pricing.models.agent_train import ExportMismatchError, PPOSettings, train_ppo, verify_export
from pricing.policy.baseline_policies import true_demand_source

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


class Recorder:
    """A policy that remembers every state it was asked about and the price it chose."""

    def __init__(self, policy: AgentPolicy) -> None:
        self.policy, self.steps = policy, []

    def choose(self, state):
        price = self.policy.choose(state)
        self.steps.append((state, price))
        return price


def test_agent_prices_scenarios_on_the_ladder(tiny_agent):
    scenarios = make_scenarios(3, seed=1, horizon=14)
    uniforms = np.random.default_rng(0).random((3, 14))
    for scenario, row in zip(scenarios, uniforms, strict=True):
        agent = AgentPolicy.for_scenario(scenario, true_demand_source(scenario), tiny_agent.policy)
        recorder = Recorder(agent)
        revenue = simulate(scenario, recorder, row)
        assert len(recorder.steps) == scenario.horizon
        for state, price in recorder.steps:
            assert state.ladder.nearest(price) == pytest.approx(price, abs=1e-6)
        assert simulate(scenario, agent, row) == revenue  # greedy on the same draws


@pytest.fixture(scope="module")
def module():
    """An untrained RLlib PPO module of the agent's layout (built, not trained: seconds)."""
    from ray.rllib.algorithms.ppo import PPOConfig

    env = PricingEnv({"seed": 0})
    model = {"fcnet_hiddens": [16, 16], "fcnet_activation": "tanh", "vf_share_layers": False}
    config = PPOConfig().framework("torch").rl_module(model_config=model)
    spec = config.get_default_rl_module_spec()
    spec.observation_space, spec.action_space = env.observation_space, env.action_space
    spec.model_config = config.model_config
    return spec.build()


def test_verify_export_catches_a_corrupted_export(module, tmp_path):
    exported = from_state_dict(module.state_dict(), "tanh", {})
    assert verify_export(module, exported) < 1e-4
    exported.save(tmp_path)
    weights = json.loads((tmp_path / WEIGHTS_FILE).read_text())
    weights["hidden"][0][0][0][0] += 0.5  # one weight of the first layer
    (tmp_path / WEIGHTS_FILE).write_text(json.dumps(weights))
    with pytest.raises(ExportMismatchError, match="differ from the trained module"):
        verify_export(module, NumpyPolicy.load(tmp_path))
    exported.hidden[0][0][0, 0] += 0.5  # the export holds copies: the module keeps its weight
    with pytest.raises(ExportMismatchError):
        verify_export(module, exported)
