"""``pricing demo``: the whole pipeline on embedded defaults, then where to look next."""

from __future__ import annotations

import time
from typing import Annotated, Any

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
    from pricing.demo import (
        DATASETS,
        DEMO_MONITOR_BACKFILL,
        DemoSizes,
        demo_agent_iterations,
        demo_home,
        demo_steps,
        reset_home,
    )
    from pricing_flows.pipeline import pricing_pipeline

    if dataset not in DATASETS:
        fail(f"unknown --dataset {dataset!r}; expected one of {', '.join(DATASETS)}", code=2)
    cfg = demo_home(settings(), dataset)
    reset_home(cfg)
    sizes = DemoSizes.pick(products, days, quick)

    def pipeline() -> Any:  # the Prefect flow, on the demo's home (a parameter of the run)
        iterations = demo_agent_iterations(quick)
        return pricing_pipeline(home=str(cfg.home_dir), quick=quick, agent_iterations=iterations)

    def monitor() -> Any:
        from pricing.monitoring.run import backfill
        from pricing_monitoring.reports import EvidentlyReporter

        return backfill(cfg, EvidentlyReporter(), DEMO_MONITOR_BACKFILL)[-1].summary()

    chosen_seed = seed if seed is not None else cfg.seed
    steps = demo_steps(cfg, dataset, sizes, chosen_seed, pipeline, monitor)
    results: dict[str, Any] = {}
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
    _where_next(cfg, dataset, results, elapsed)
    if json_out:
        emit_json(
            {
                "dataset": dataset,
                "home": str(cfg.home_dir),
                "seconds": round(elapsed, 1),
                "snapshot": _snapshot(cfg, results),
                "data": results["data"],
                "models": results["pipeline"]["models"],
                "promotion": results["pipeline"]["promotion"],
                "bento": results["pipeline"].get("bento"),
                "recommendation": results["recommend"],
                "stream": results.get("stream"),
                "reprice": results["reprice"],
                "monitor": {
                    k: results["monitor"].get(k)
                    for k in ("drift", "drift_share", "drifted_features", "report")
                },
            }
        )


def _snapshot(cfg: object, results: dict[str, Any]) -> dict[str, Any]:
    from pricing.store.snapshots import show_snapshot

    snap = results["pipeline"]["snapshot"]
    info = show_snapshot(cfg, snap)  # type: ignore[arg-type]
    return {"snapshot": snap, "rows": int(info.get("rows", 0)), "hash": info.get("hash")}


def _where_next(cfg: object, dataset: str, results: dict[str, Any], elapsed: float) -> None:
    home = cfg.home_dir  # type: ignore[attr-defined]
    snap = _snapshot(cfg, results)
    pipeline = results["pipeline"]
    sample = results["online"]
    first = sample[0] if isinstance(sample, list) and sample else {}
    pid, loc = first.get("product_id", "?"), first.get("location_id", "all")
    rec = results["recommend"]
    promoted = "promoted to prod" if pipeline["promotion"]["promoted"] else "kept prod"
    console.rule(f"demo \\[{dataset}] finished in {elapsed:.0f}s")
    console.print(
        f"home:      {home}\n"
        f"snapshot:  {snap['snapshot']} ({snap['rows']} rows)\n"
        f"models:    {', '.join(m['tag'] for m in pipeline['models'].values())} ({promoted})\n"
        f"bento:     {pipeline.get('bento')}\n"
        f"online:    {pid}@{loc} units_ma7={first.get('units_ma7')} "
        f"last_price={first.get('last_price')} forecast_units={first.get('forecast_units')} "
        f"elasticity={first.get('elasticity')}\n"
        f"price:     {rec.get('explanation', rec)}\n"
        f"{_stream_lines(results.get('stream'))}"
        f"{_monitor_line(results['monitor'], results['reprice'])}\n"
        "Where to look next:\n"
        f"  export PRICING_HOME={home}\n"
        "  pricing data products --limit 5\n"
        f"  pricing store online {pid} --location {loc}\n"
        f"  pricing snapshot show {snap['snapshot']}\n"
        "  pricing serve --port 3000     (then POST /recommend, /simulate, /metadata; see README)\n"
        "  pricing flows server ; pricing flows serve   (Prefect UI and schedules)\n"
        "  pricing stream broker ; pricing stream run ; pricing stream replay --cut "
        f"{pid}:0.2   (real time)\n"
        "  pricing evaluate forecast --json ; pricing evaluate elasticity --json\n"
        "  pricing monitor --json ; pricing evaluate calibration --json   (drift, uncertainty)\n"
        "  pricing bench policy --scenarios 30 --seed 0 --json ; pricing bench serve --json\n"
        f"  feast -c {home}/feature_repo feature-views list   (rendered Feast repo)\n"
        "  pricing dashboard   (the pricing dashboard and drift monitor, http://localhost:8501)"
    )


def _monitor_line(monitor: dict[str, Any], reprice: dict[str, Any]) -> str:
    """The repricing run and the monitor's verdict on the last window."""
    verdict = "DRIFT" if monitor["drift"] else "no drift"
    drifted = ", ".join(monitor["drifted_features"]) or "none"
    return (
        f"repriced:  {reprice['repriced']} of {reprice['items']} series moved "
        f"({reprice['fallbacks']} fallbacks), every decision in the audit log\n"
        f"monitor:   {verdict} in {monitor['window_start'][:10]} .. "
        f"{monitor['window_end'][:10]} (drift share {monitor['drift_share']:.2f}; drifted: "
        f"{drifted})\n  report:  {monitor['report']}\n"
    )


def _stream_lines(stream: dict[str, Any] | None) -> str:
    """The streaming segment: the rival's cut, and our price before and after it."""
    if not stream:
        return ""
    if "skipped" in stream:
        return f"stream:    skipped ({stream['skipped']})\n"
    before, after = stream["before"], stream["after"]
    return (
        f"stream:    {stream['events']:,} events replayed into the realtime view, the last a "
        f"rival cutting {stream['product_id']} to {stream['cut_to']:.2f} (in the price "
        f"{stream['cut_to_recommendation_s']:.2f}s after it was published)\n"
        f"  before:  competitor {before['competitor_price']} -> we price "
        f"{before['recommended_price']}\n"
        f"  after:   competitor {after['competitor_price']} -> we price "
        f"{after['recommended_price']}: {after['explanation']}\n"
    )
