"""``pricing bench``: benchmarks that print their figures and write bench/results/."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, friendly_errors, settings

app = typer.Typer(help="Benchmarks (figures to bench/results/).", no_args_is_help=True)


def results_dir() -> Path:
    path = Path("bench") / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


@app.command("policy")
@friendly_errors
def policy(
    scenarios: Annotated[int, typer.Option(help="Number of seeded scenarios.", min=1)] = 30,
    seed: Annotated[int, typer.Option(help="Scenario seed (unseen products).")] = 0,
    draws: Annotated[int, typer.Option(help="Demand paths per scenario (CRN).", min=1)] = 20,
    quick: Annotated[
        bool, typer.Option(help="Tiny models (and agent, if none exists): smoke check only.")
    ] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Every policy as % of the exact DP oracle, (a) pricing with the true demand and (b) with
    models fitted on the scenarios' histories; always scored on the true demand (CRN)."""
    from pricing.evaluation.policy_bench import pipeline_bench, plot_bench, true_demand_bench
    from pricing.training import agent_or_train

    cfg = settings()
    agent, tag = agent_or_train(cfg, quick=quick, progress=console.print)
    started = time.perf_counter()
    with console.status(f"scoring {scenarios} scenarios x {draws} draws"):
        truth = true_demand_bench(agent, scenarios, seed, draws)
    with console.status("pipeline: fitting forecaster and price response on the histories"):
        pipeline = pipeline_bench(cfg, agent, scenarios, seed, draws, quick=quick)
    for name, value in truth.rounded().items():
        other = pipeline.rounded().get(name, float("nan"))
        console.print(f"  {name:18s} true demand {value:6.2f}%   pipeline {other:6.2f}% of oracle")
    payload = {
        "true_demand": truth.rounded(),
        "pipeline": pipeline.rounded(),
        "scenarios": scenarios,
        "seed": seed,
        "draws": draws,
        "agent": tag,
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = results_dir()
    (out / "policy.json").write_text(json.dumps(payload, indent=2))
    plot_bench({"true demand": truth, "pipeline": pipeline}, out / "policy.png")
    console.print(f"results: {out / 'policy.json'}, plot: {out / 'policy.png'}")
    if json_out:
        emit_json(payload)
