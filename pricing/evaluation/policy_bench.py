"""Policy benchmark on the simulator's truth: every policy as a % of the exact DP oracle.

Scenarios come from a seed (products training never saw, binding stock, moving demand and
rivals) and every policy meets the same demand draws (common random numbers), so the
differences are the policies', not the dice's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pricing.market.scenario_gen import make_scenarios
from pricing.market.scenarios import Scenario, common_random_numbers
from pricing.models.agent import AgentPolicy
from pricing.models.agent_export import NumpyPolicy
from pricing.policy.baseline_policies import DemandSource, baseline_factories, true_demand_source
from pricing.policy.oracle import PolicyFactory, score_policies

POLICIES = ("oracle", "ppo", "myopic", "static", "cost_plus", "competitor_match")


@dataclass
class BenchResult:
    """Mean % of oracle per policy, per-scenario values, and the run's sizes."""

    percent: dict[str, float]
    per_scenario: dict[str, list[float]] = field(default_factory=dict)
    scenarios: int = 0
    draws: int = 0

    def rounded(self) -> dict[str, float]:
        return {name: round(self.percent[name], 2) for name in POLICIES if name in self.percent}


def policy_factories(
    agent: NumpyPolicy | None,
    source_factory: Callable[[Scenario], DemandSource] = true_demand_source,
) -> dict[str, PolicyFactory]:
    """Every benchmarked policy, all pricing from the same demand source."""
    factories = dict(baseline_factories(source_factory))
    if agent is not None:
        factories["ppo"] = lambda s: AgentPolicy.for_scenario(s, source_factory(s), agent)
    return factories


def true_demand_bench(
    agent: NumpyPolicy | None, scenarios: int, seed: int, draws: int = 20
) -> BenchResult:
    """Question (a): every policy prices with the TRUE demand, so the agent's quality shows."""
    chosen: list[Scenario] = make_scenarios(scenarios, seed)
    uniforms = common_random_numbers(chosen, seed + 1, draws)
    scores = score_policies(chosen, policy_factories(agent), uniforms)
    return BenchResult(
        percent={k: float(v) for k, v in scores.percent.items()},
        per_scenario={k: [float(x) for x in v] for k, v in scores.per_scenario.items()},
        scenarios=scenarios,
        draws=draws,
    )


def pipeline_bench(
    settings: Any,
    agent: NumpyPolicy | None,
    scenarios: int,
    seed: int,
    draws: int = 20,
    quick: bool = False,
) -> BenchResult:
    """Question (b): models fitted on the scenarios' histories; policies price with the
    estimates (the oracle keeps the truth: it is the yardstick); scored on the true demand."""
    from pricing.evaluation.pipeline import estimated_source, fit_pipeline

    chosen: list[Scenario] = make_scenarios(scenarios, seed)
    fitted = fit_pipeline(settings, chosen, seed, quick=quick)
    uniforms = common_random_numbers(chosen, seed + 1, draws)
    factories = policy_factories(agent, estimated_source(fitted))
    scores = score_policies(chosen, factories, uniforms)
    return BenchResult(
        percent={k: float(v) for k, v in scores.percent.items()},
        per_scenario={k: [float(x) for x in v] for k, v in scores.per_scenario.items()},
        scenarios=scenarios,
        draws=draws,
    )


def plot_bench(results: dict[str, BenchResult], path: Any) -> None:
    """Bars of % of oracle per policy, one group per question."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(results), 1)
    names = [n for n in POLICIES if any(n in r.percent for r in results.values())]
    for i, (question, result) in enumerate(results.items()):
        values = [result.percent.get(n, np.nan) for n in names]
        ax.bar(np.arange(len(names)) + i * width, values, width, label=question)
    ax.axhline(100.0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(names)) + width * (len(results) - 1) / 2, names)
    ax.set_ylabel("% of oracle revenue")
    ax.set_ylim(40, 105)
    ax.legend()
    ax.set_title("Pricing policies vs the exact DP oracle (common random numbers)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
