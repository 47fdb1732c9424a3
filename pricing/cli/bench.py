"""``pricing bench``: benchmarks that print their figures and write them where Settings says
(``bench_results``: ``PRICING_BENCH_RESULTS``, bench/results/ by default)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, friendly_errors, settings
from pricing.settings import Settings

app = typer.Typer(
    help="Benchmarks (figures to PRICING_BENCH_RESULTS, bench/results/ by default).",
    no_args_is_help=True,
)


def results_dir(cfg: Settings) -> Path:
    path = cfg.bench_results
    path.mkdir(parents=True, exist_ok=True)
    return path


@app.command("policy")
@friendly_errors
def policy(
    scenarios: Annotated[int, typer.Option(help="Number of seeded scenarios.", min=1)] = 30,
    seed: Annotated[
        int | None,
        typer.Option(help="Scenario seed, unseen products (default PRICING_PROMOTE_SEED)."),
    ] = None,
    draws: Annotated[int, typer.Option(help="Demand paths per scenario (CRN).", min=1)] = 20,
    quick: Annotated[
        bool, typer.Option(help="Tiny models (and agent, with --train-agent): smoke check only.")
    ] = False,
    train_new: Annotated[
        bool,
        typer.Option(
            "--train-agent",
            help="Train a new agent (saved to the model store) and benchmark it instead of prod's.",
        ),
    ] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Every policy as % of the exact DP oracle, (a) pricing with the true demand and (b) with
    models fitted on the scenarios' histories; always scored on the true demand (CRN). The
    agent is the home's prod agent unless --train-agent asks for a new one."""
    from pricing.evaluation.policy_bench import pipeline_bench, plot_bench, true_demand_bench
    from pricing.models.agent_export import NumpyPolicy
    from pricing.registry import ModelNotFoundError, resolve_model

    cfg = settings()
    seed = cfg.promote_seed if seed is None else seed
    if train_new:
        from pricing.training import train_agent

        console.print(f"training a new {'quick ' if quick else ''}agent (--train-agent)")
        saved = train_agent(cfg, quick=quick, progress=console.print)
    else:
        try:
            saved = resolve_model(cfg, "agent")
        except ModelNotFoundError:
            fail(
                f"no agent in {cfg.bentoml_home}; run `pricing train` first, or "
                "`pricing bench policy --train-agent` to train one for this benchmark"
            )
    agent, tag = NumpyPolicy.load(saved.path), saved.tag
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
    out = results_dir(cfg)
    (out / "policy.json").write_text(json.dumps(payload, indent=2))
    plot_bench({"true demand": truth, "pipeline": pipeline}, out / "policy.png")
    console.print(f"results: {out / 'policy.json'}, plot: {out / 'policy.png'}")
    if json_out:
        emit_json(payload)


@app.command("serve")
@friendly_errors
def serve(
    rps: Annotated[float, typer.Option(help="Open-loop rate the figures are at (req/s).")] = 200,
    duration: Annotated[float, typer.Option(help="Seconds per load run.", min=1)] = 10,
    items: Annotated[int, typer.Option(help="Items per request.", min=1, max=1000)] = 1,
    concurrency: Annotated[
        int | None, typer.Option(help="Closed loop with C clients instead (max throughput).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="A running service (else one starts).")] = None,
    sweep: Annotated[bool, typer.Option(help="Also run 50/100/200 rps for the plot.")] = True,
    capacity_ms: Annotated[
        float | None,
        typer.Option(help="Also find the highest rate held with p99 within this (ms)."),
    ] = None,
    soak: Annotated[
        float | None,
        typer.Option(help="Also hold --rps this many seconds, watching the service's memory."),
    ] = None,
    forecast_rps: Annotated[
        float | None, typer.Option(help="Also load /forecast (one product each) at this rate.")
    ] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Latency and throughput of /recommend on the Redis online store, with the bare Feast
    read of the same items measured in the same run; generator and service on separate cores.
    A soak (`--rps 100 --soak 600`) reports the service's memory growth and errors."""
    from pricing.evaluation.serve_bench import plot_latency, serve_bench

    cfg = settings()
    payload = serve_bench(
        cfg, rps, duration, items, concurrency, url, sweep, console.print, capacity_ms, soak,
        forecast_rps,
    )  # fmt: skip
    out = results_dir(cfg)
    name = f"serve_items{items}" + (f"_c{concurrency}" if concurrency else "")
    name += "_soak" if soak else ""
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2))
    probed = payload.get("capacity", {}).get("tried", {})  # where the knee is
    runs = {float(rate): figures for rate, figures in (payload["sweep"] | probed).items()}
    if len(runs) > 1:
        plot_latency(runs, items, out / f"{name}.png")
    console.print(
        f"p50 {payload['p50_ms']} ms, p95 {payload['p95_ms']} ms, p99 {payload['p99_ms']} ms at "
        f"{payload['rps']} rps, {payload['errors']} errors; bare Feast read p99 "
        f"{payload['feast_p99_ms']} ms -> {out / name}.json"
    )
    if json_out:
        emit_json(payload)


@app.command("fuzz")
@friendly_errors
def fuzz(
    cases: Annotated[
        int, typer.Option(help="Generated requests, spread over every endpoint.", min=10)
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the generated requests.")] = 0,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Fuzz `bentoml serve` of this home from its own OpenAPI document (schemathesis): valid
    and schema-breaking requests to every endpoint with the API key (a throwaway one unless
    PRICING_API_KEY is set), a few without it; counts 5xx, 4xx that do not name the field or
    limit, and answers the document does not allow."""
    from pricing.evaluation.fuzz_bench import fuzz_bench

    cfg = settings()
    with console.status("fuzzing") as status:
        payload = fuzz_bench(cfg, cases, seed, say=status.update)
    out = results_dir(cfg)
    (out / "fuzz.json").write_text(json.dumps(payload, indent=2))
    console.print(
        f"{payload['cases']} cases in {payload['seconds']}s: {payload['server_errors']} server "
        f"errors, {payload['client_errors']} client errors ({payload['unnamed_4xx']} not naming "
        f"the problem), {payload['schema_violations']} answers off the document; "
        f"{payload['unauthenticated_401']} of {payload['unauthenticated']} without the key "
        f"refused -> {out / 'fuzz.json'}"
    )
    for example in payload["examples"]:
        console.print(
            f"  {example['operation']} -> {example['status']}: {example['problems']}", markup=False
        )
    if json_out:
        emit_json(payload)


@app.command("hotpath")
@friendly_errors
def hotpath(
    items: Annotated[str, typer.Option(help="Items per request, comma-separated.")] = "1,100",
    repeat: Annotated[int, typer.Option(help="Requests timed per size (/ items).", min=20)] = 2000,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Where a /recommend request's CPU goes, in process on the home's online store: the bare
    read, the runtime (read + pricing + log), the whole BentoML service as an ASGI app (the
    framework's share is the difference) and the runtime's stages."""
    from pricing.evaluation.hotpath import hotpath as profile_hotpath
    from pricing.models.elasticity import META
    from pricing.registry import resolve_model

    cfg = settings()
    meta = json.loads((resolve_model(cfg, "elasticity").path / META).read_text())
    keys = list(zip(meta["series"]["product_id"], meta["series"]["location_id"], strict=True))
    with console.status("profiling the hot path"):
        payload = profile_hotpath(cfg, _sizes(items), repeat, keys)
    (results_dir(cfg) / "hotpath.json").write_text(json.dumps(payload, indent=2))
    for size in _sizes(items):
        f = payload[f"items_{size}"]
        stages = ", ".join(f"{k} {v}" for k, v in f["stages_ms"].items())
        console.print(
            f"{size} item(s): read {f['read_ms']} ms, runtime {f['runtime_ms']} ms, service "
            f"{f['service_ms']} ms (framework {f['framework_ms']} ms); profiled stages: {stages}"
        )
    if json_out:
        emit_json(payload)


@app.command("stream")
@friendly_errors
def stream(
    events: Annotated[
        int, typer.Option(help="Backlog the consumer drains (events).", min=1)
    ] = 50_000,
    rate: Annotated[
        float, typer.Option(help="Paced stream for freshness (events/s).", min=1)
    ] = 1_000,
    seconds: Annotated[float, typer.Option(help="Length of the paced stream (s).", min=1)] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic events.")] = 0,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """The real-time path on this home's online store: events/s the consumer applies from a
    backlog, publish -> online freshness of a paced stream and lost events, next to a bare
    Kafka read and bare Redis writes (topics and group of the run's own; the synthetic events
    land in this home's realtime view, one period after everything it holds)."""
    from pricing.evaluation.stream_bench import plot_stream, stream_bench

    cfg = settings()
    result = stream_bench(cfg, events, rate, seconds, seed, say=console.print)
    f = result.figures
    out = results_dir(cfg)
    (out / "stream.json").write_text(json.dumps(f, indent=2))
    plot_stream(result, out / "stream.png")

    console.print(
        "\n".join(_stream_lines(f)) + f"\nresults: {out / 'stream.json'}, plot: "
        f"{out / 'stream.png'}"
    )
    if json_out:
        emit_json(f)


def _stream_lines(f: dict[str, Any]) -> list[str]:
    """The streaming figures for people, each rate beside its ceiling."""
    lines = [
        f"consumer: {f['events_per_s']:,.0f} events/s applied and committed ({f['events']:,} "
        f"in {f['drain_seconds']:.2f}s, {f['backlog_batches']} batches, "
        f"{f['backlog_rows']:,} rows pushed to the {f['online_store']} online store)",
        f"  bare Kafka read: {f['kafka_consume_per_s']:,.0f} msgs/s (the consumer at "
        f"{f['events_per_s'] / f['kafka_consume_per_s']:.0%} of it)",
    ]
    redis = f["redis_write_per_s"]
    if redis is None:
        lines.append(f"  bare Redis HSET: not measured ({f['redis_skipped']})")
    else:
        busy = f["backlog_rows"] / redis / f["drain_seconds"]
        lines.append(
            f"  bare Redis HSET: {redis:,.0f} rows/s (the backlog's rows, one per series and "
            f"batch, would take {busy:.1%} of the drain time at that rate)"
        )
    lines += [
        f"freshness at {f['paced_rate']:,.0f} events/s: p50 {f['freshness_p50_ms']} ms, p99 "
        f"{f['freshness_p99_ms']} ms until visible online (read every "
        f"{f['store_poll_ms']:.0f} ms); push done p50 {f['consumer_freshness_p50_ms']} ms, "
        f"p99 {f['consumer_freshness_p99_ms']} ms",
        f"lost: {f['lost']} {f['lost_by_kind']}; online state = fold of every event: "
        f"{f['online_equals_fold']}",
    ]
    return lines


@app.command("materialize")
@friendly_errors
def materialize(
    rows: Annotated[
        str, typer.Option(help="Rows per feature view (entities), comma-separated sizes.")
    ] = "10000,100000",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic feature values.")] = 0,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Feature rows per second `pricing store materialize` loads into Redis (every batch and
    model view, N rows each, in scratch homes of their own), next to bare pipelined Redis
    HSETs of the same rows, and the online memory per entity (product x location)."""
    import redis

    from pricing.evaluation.materialize_bench import materialize_bench, plot_materialize

    sizes = _sizes(rows)
    cfg = settings()
    try:
        with console.status("materializing") as status:
            payload = materialize_bench(cfg, sizes, seed, say=lambda text: status.update(text))
    except redis.ConnectionError as error:
        fail(f"no Redis to load into ({error}); start one or set PRICING_REDIS_URL")
    out = results_dir(cfg)
    (out / "materialize.json").write_text(json.dumps(payload, indent=2))
    plot_materialize(payload["results"], out / "materialize.png")
    console.print(_materialize_table(payload))
    largest = max(payload["results"], key=lambda r: r["rows"])
    console.print(
        f"online memory at {largest['bytes_per_entity']:,.0f} bytes per entity (batch and "
        "model views; the realtime view's pushed rows not counted):"
    )
    for size in payload["sizing"]:
        console.print(
            f"  {size['products']:>9,} products x {size['stores']} stores: {size['gib']:,.1f} GiB"
        )
    console.print(f"results: {out / 'materialize.json'}, plot: {out / 'materialize.png'}")
    if json_out:
        emit_json(payload)


def _sizes(text: str) -> list[int]:
    """``10000,100000`` -> [10000, 100000]; each a positive whole number."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"--rows wants sizes like 10000,100000, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise typer.BadParameter(f"--rows wants positive sizes, got {text!r}")
    return sizes


def _materialize_table(payload: dict[str, Any]) -> Table:
    """One line per size: Feast's rate beside bare Redis', and the memory per entity."""
    table = Table(title="Materialization into Redis (rows: per view; rows/s: feature rows)")
    for name in ("rows", "seconds", "Feast rows/s", "bare Redis rows/s", "ratio", "bytes/entity"):
        table.add_column(name, justify="right")
    for r in payload["results"]:
        table.add_row(
            f"{r['rows']:,}",
            f"{r['seconds']:.2f}",
            f"{r['rows_per_s']:,.0f}",
            f"{r['redis_rows_per_s']:,.0f}",
            f"{r['ratio']:.1%}",
            f"{r['bytes_per_entity']:,.0f}",
        )
    return table


@app.command("drift")
@friendly_errors
def drift(
    products: Annotated[int, typer.Option(help="Products in each simulated market.", min=5)] = 30,
    windows: Annotated[int, typer.Option(help="Steady windows tested per seed.", min=1)] = 24,
    seeds: Annotated[int, typer.Option(help="Markets simulated (seeds 0..N-1).", min=1)] = 2,
    quick: Annotated[bool, typer.Option(help="Tiny forecaster (smoke check only).")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """The drift monitor's false-alarm rate on a steady market and its first-window
    detection of a price war, a demand shock and an elasticity shift, with the thresholds
    in PRICING_MONITOR__* and Evidently's tests, as `pricing monitor` runs them."""
    from pricing.evaluation.drift_bench import plot_drift_bench, run_drift_bench
    from pricing_monitoring.reports import EvidentlyReporter

    cfg = settings()
    started = time.perf_counter()
    with console.status("simulating markets and testing windows") as status:
        bench = run_drift_bench(
            cfg,
            EvidentlyReporter(),
            products=products,
            windows=windows,
            seeds=seeds,
            quick=quick,
            progress=lambda text: status.update(text),
        )
    rates = bench.rates()
    console.print(
        f"  steady market: {rates['false_alarms']} false alarms in "
        f"{rates['no_drift_windows']} windows (rate {rates['false_alarm_rate']:.3f}, goal <= 0.05)"
    )
    for kind in ("price_war", "demand_shock", "elasticity"):
        console.print(
            f"  {kind:13s} flagged in its first window {rates[f'{kind}_flagged']} of "
            f"{rates[f'{kind}_runs']} times"
        )
    monitor = cfg.monitor
    payload = {
        **rates,
        "seconds": round(time.perf_counter() - started, 1),
        "settings": monitor.model_dump(mode="json"),
        "products": products,
        "windows": [t.__dict__ for t in bench.tests],
    }
    out = results_dir(cfg)
    (out / "drift.json").write_text(json.dumps(payload, indent=2))
    plot_drift_bench(bench, monitor, out / "drift.png")
    console.print(f"results: {out / 'drift.json'}, plot: {out / 'drift.png'}")
    if json_out:
        emit_json(payload)


@app.command("features")
@friendly_errors
def features(
    rows: Annotated[
        str, typer.Option(help="Sales rows of each size run, comma-separated.")
    ] = "100000,1000000,10000000",
    engine: Annotated[
        str, typer.Option(help="Engines, comma-separated: pandas, spark.")
    ] = "pandas,spark",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic canonical tables.")] = 0,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Feature-build seconds, rows/s and peak memory (process tree, Spark's JVM included) of
    each engine at each size, how they grow, and whether both engines' tables are equal;
    each size in a scratch home of its own (under PRICING_HOME/bench), removed afterwards."""
    from pricing.evaluation.features_bench import features_bench, plot_features

    sizes = _sizes(rows)
    engines = [name.strip() for name in engine.split(",") if name.strip()]
    unknown = sorted(set(engines) - {"pandas", "spark"})
    if unknown or not engines:
        raise typer.BadParameter(f"--engine takes pandas and/or spark, got {engine!r}")
    cfg = settings()
    work = cfg.home_dir / "bench" / "features"
    with console.status("feature benchmark") as status:
        payload = features_bench(cfg, sizes, engines, work, seed, say=status.update)
    out = results_dir(cfg)
    (out / "features.json").write_text(json.dumps(payload, indent=2))
    plot_features(payload, out / "features.png")
    console.print(_features_table(payload))
    for name, growth in payload["growth"].items():
        console.print(
            f"{name}: time grows as rows^{growth['time_exponent']}, peak memory as "
            f"rows^{growth['memory_exponent']} (1.0 = linear)"
        )
    for name, memory in payload["memory"].items():
        console.print(
            f"{name}: {memory['mb_per_million_rows']:,.0f} MB per million rows over "
            f"{memory['fixed_mb']:,.0f} MB; this machine's memory runs out near "
            f"{memory['rows_at_machine_memory'] or 0:,} rows"
        )
    for skip in payload["skipped"]:
        console.print(
            f"{skip['engine']} not run at {skip['rows']:,} rows: its memory line predicts "
            f"{skip['predicted_peak_mb']:,} MB, {skip['available_mb']:,} MB available"
        )
    console.print(
        f"tables equal across engines at every size: {payload['equal']}\n"
        f"results: {out / 'features.json'}, plot: {out / 'features.png'}"
    )
    if json_out:
        emit_json(payload)


def _features_table(payload: dict[str, Any]) -> Table:
    table = Table(title="Feature build (sales rows; seconds without process start-up)")
    for name in ("engine", "rows", "seconds", "rows/s", "peak MB"):
        table.add_column(name, justify="right")
    for r in payload["results"]:
        table.add_row(
            r["engine"],
            f"{r['rows']:,}",
            f"{r['seconds']:.1f}",
            f"{r['rows_per_s']:,}",
            f"{r['peak_mb']:,.0f}",
        )
    return table
