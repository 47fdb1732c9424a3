"""``pricing demo``: the whole pipeline on embedded defaults, then where to look next."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, friendly_errors, settings


@friendly_errors
def demo(
    dataset: Annotated[str, typer.Option(help="synthetic | oj | retail_price")] = "synthetic",
    products: Annotated[int | None, typer.Option(help="Synthetic products.", min=1)] = None,
    days: Annotated[int | None, typer.Option(help="Synthetic days of history.", min=14)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    quick: Annotated[bool, typer.Option(help="Small sizes and tiny models (smoke check).")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Run every stage on one market and print where to look next."""
    from pricing.demo import DATASETS, DemoSizes, demo_home, demo_steps, reset_home

    if dataset not in DATASETS:
        fail(f"unknown --dataset {dataset!r}; expected one of {', '.join(DATASETS)}", code=2)
    cfg = demo_home(settings(), dataset)
    reset_home(cfg)
    sizes = DemoSizes.pick(products, days, quick)
    steps = demo_steps(cfg, dataset, sizes, seed if seed is not None else cfg.seed, quick)
    results: dict[str, object] = {}
    started = time.perf_counter()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"demo \\[{dataset}]", total=len(steps))
        for name, step in steps:
            progress.update(task, description=f"demo \\[{dataset}]: {name}")
            t0 = time.perf_counter()
            results[name] = step()
            console.print(f"  [green]done[/] {name} ({time.perf_counter() - t0:.1f}s)")
            progress.advance(task)
    elapsed = time.perf_counter() - started
    _where_next(cfg.home_dir, dataset, results, elapsed)
    if json_out:
        emit_json(
            {
                "dataset": dataset,
                "home": str(cfg.home_dir),
                "seconds": round(elapsed, 1),
                "snapshot": results["snapshot"],
                "data": results["data"],
                "models": results["train"]["models"],
            }
        )


def _where_next(home: object, dataset: str, results: dict[str, object], elapsed: float) -> None:
    snap = results["snapshot"]
    sample = results["online"]
    first = sample[0] if isinstance(sample, list) and sample else {}
    pid, loc = first.get("product_id", "?"), first.get("location_id", "all")
    console.rule(f"demo \\[{dataset}] finished in {elapsed:.0f}s")
    console.print(
        f"home:      {home}\n"
        f"snapshot:  {snap['snapshot']} ({snap['rows']} rows)\n"
        f"models:    {', '.join(m['tag'] for m in results['train']['models'].values())}\n"
        f"online:    {pid}@{loc} units_ma7={first.get('units_ma7')} "
        f"last_price={first.get('last_price')} forecast_units={first.get('forecast_units')} "
        f"elasticity={first.get('elasticity')}\n\n"
        "Where to look next:\n"
        f"  export PRICING_HOME={home}\n"
        "  pricing data products --limit 5\n"
        f"  pricing store online {pid} --location {loc}\n"
        "  pricing snapshot list\n"
        f"  pricing snapshot show {snap['snapshot']}\n"
        "  pricing evaluate forecast --json ; pricing evaluate elasticity --json\n"
        "  pricing bench policy --scenarios 30 --seed 0 --json\n"
        f"  feast -c {home}/feature_repo feature-views list   (rendered Feast repo)"
    )
