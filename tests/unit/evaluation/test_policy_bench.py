"""The policy benchmark scores every policy against the oracle on common random numbers."""

from __future__ import annotations

import numpy as np

from pricing.evaluation.policy_bench import POLICIES, plot_bench, true_demand_bench
from pricing.models.agent import N_ACTIONS, OBS_SIZE
from pricing.models.agent_export import NumpyPolicy


def random_agent(seed: int = 0) -> NumpyPolicy:
    rng = np.random.default_rng(seed)
    hidden = [(rng.normal(size=(8, OBS_SIZE)).astype(np.float32), np.zeros(8, np.float32))]
    head = (rng.normal(size=(N_ACTIONS, 8)).astype(np.float32), np.zeros(N_ACTIONS, np.float32))
    return NumpyPolicy(hidden, head)


def always(action: int) -> NumpyPolicy:
    """An agent that always asks for the same move (0: deepest cut)."""
    bias = np.full(N_ACTIONS, -10.0, np.float32)
    bias[action] = 10.0
    hidden = [(np.zeros((8, OBS_SIZE), np.float32), np.zeros(8, np.float32))]
    return NumpyPolicy(hidden, (np.zeros((N_ACTIONS, 8), np.float32), bias))


def test_true_demand_bench_scores_all_policies(tmp_path):
    result = true_demand_bench(random_agent(), scenarios=2, seed=3, draws=3)
    assert set(result.rounded()) == set(POLICIES)
    assert result.percent["oracle"] == 100.0
    assert all(0 < v <= 100.5 for k, v in result.percent.items() if k != "oracle")
    for name, values in result.per_scenario.items():
        assert len(values) == 2 and result.percent[name] == np.mean(values)
    again = true_demand_bench(random_agent(), scenarios=2, seed=3, draws=3)
    assert again.percent == result.percent  # seeded scenarios and CRN: reproducible
    cutting = true_demand_bench(always(0), scenarios=2, seed=3, draws=3)
    assert cutting.percent["ppo"] != result.percent["ppo"]  # another agent, another score,
    baselines = [name for name in POLICIES if name != "ppo"]  # the same draws for the rest
    assert {n: cutting.percent[n] for n in baselines} == {n: result.percent[n] for n in baselines}
    plot_bench({"true demand": result}, tmp_path / "policy.png")
    assert (tmp_path / "policy.png").stat().st_size > 1000
