"""``pricing stream``: the embedded broker, replay, the consumer and its status."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, friendly_errors, settings

app = typer.Typer(
    help="Real-time path: Kafka events into the realtime feature view.", no_args_is_help=True
)

#: Seconds between the consumer's progress lines.
LOG_EVERY = 10.0


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM, SIGINT or SIGHUP: the loop finishes its batch and stops."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@app.command()
@friendly_errors
def broker(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = a free one).")] = 0,
) -> None:
    """Run the embedded Kafka-protocol broker (Tansu, memory-only) for this home until
    stopped; other `pricing stream` commands of the home find it."""
    from pricing.streaming.broker import broker_record, record, start_broker
    from pricing.streaming.kafka import ensure_topics

    cfg = settings()
    if cfg.kafka.bootstrap_servers:
        fail(
            f"PRICING_KAFKA__BOOTSTRAP_SERVERS is set ({cfg.kafka.bootstrap_servers}): this "
            "home uses that cluster, not an embedded broker"
        )
    stop = _stop_on_signals()
    running = start_broker(cfg.logs_dir / "broker.log", port or None)
    try:
        record(cfg, running)
        ensure_topics(cfg.kafka, running.bootstrap)
        console.print(
            f"[bold]Kafka broker[/] (Tansu, in memory) on {running.bootstrap}; topics "
            f"{', '.join([*cfg.kafka.topics.events().values(), cfg.kafka.topics.dead_letter])}."
            "\nStop with Ctrl-C; a restarted broker starts empty."
        )
        while not stop.wait(1.0):
            if running.process.poll() is not None:
                fail(f"the broker exited ({running.process.returncode}); see {cfg.logs_dir}")
    finally:
        running.stop()
        broker_record(cfg).unlink(missing_ok=True)


def _parse_cut(value: str | None) -> tuple[str, float] | None:
    if value is None:
        return None
    product, _, fraction = value.partition(":")
    try:
        share = float(fraction or "0.15")
    except ValueError:
        raise typer.BadParameter(f"--cut {value!r}: expected PRODUCT[:FRACTION]") from None
    if not product or not 0 < share < 1:
        raise typer.BadParameter(f"--cut {value!r}: expected PRODUCT[:FRACTION], 0 < FRACTION < 1")
    return product, share


@app.command()
@friendly_errors
def replay(
    source: Annotated[
        str,
        typer.Option(
            help="'synthetic' (the home's simulated market, continued) or PATH: a data folder "
            "of canonical tables (a home's data/) whose history is replayed."
        ),
    ] = "synthetic",
    rate: Annotated[
        float, typer.Option(min=0, help="Events per second (0 = as fast as possible).")
    ] = 0.0,
    periods: Annotated[
        int | None,
        typer.Option(min=1, help="Periods to publish: the next N (synthetic) or the last N."),
    ] = None,
    cut: Annotated[
        str | None,
        typer.Option(help="PRODUCT[:FRACTION]: end with a rival cutting that product's price."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic continuation.")] = 0,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Publish history or simulator output as sales, stock and competitor price events."""
    from rich.progress import Progress

    from pricing.data.home import HomeData
    from pricing.streaming.broker import bootstrap_servers
    from pricing.streaming.kafka import ensure_topics
    from pricing.streaming.replay import (
        KIND_OF,
        competitor_cut,
        events_from_tables,
        history_tables,
        publish,
        synthetic_tables,
    )

    cfg = settings()
    price_cut = _parse_cut(cut)
    if source == "synthetic":
        tables, grain = synthetic_tables(cfg, periods or 1, seed)
    else:
        path = Path(source).expanduser()
        if not HomeData(path).exists():
            fail(f"{path}: no canonical tables (sales, ...); pass a home's data folder")
        tables, grain = history_tables(HomeData(path), periods)
    events = events_from_tables(tables, grain)
    if price_cut is not None:
        events.append(competitor_cut(events, *price_cut))
    if not events:
        fail(f"{source}: nothing to replay")
    servers = bootstrap_servers(cfg)
    ensure_topics(cfg.kafka, servers)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("publishing", total=len(events))
        sent = publish(cfg.kafka, servers, events, rate, lambda n: bar.advance(task, n))
    kinds: dict[str, int] = {}
    for event in events:
        kinds[KIND_OF[type(event)]] = kinds.get(KIND_OF[type(event)], 0) + 1
    first, last = events[0].event_time, events[-1].event_time
    console.print(
        f"published {sent.events:,} events ({', '.join(f'{n:,} {k}' for k, n in kinds.items())})"
        f" to {servers} in {sent.seconds:.1f}s ({sent.rate:,.0f}/s); event times "
        f"{first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M}"
    )
    if price_cut is not None:
        console.print(f"last event: {events[-1].model_dump_json()}")
    if json_out:
        emit_json(
            {
                "events": sent.events,
                "by_kind": kinds,
                "seconds": round(sent.seconds, 3),
                "events_per_s": round(sent.rate, 1),
                "first_event_time": first.isoformat(),
                "last_event_time": last.isoformat(),
                "bootstrap_servers": servers,
            }
        )


@app.command()
@friendly_errors
def run(
    idle_exit: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds without events (default: run on)."),
    ] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Consume the event topics into the realtime view until SIGTERM/Ctrl-C (at least once:
    offsets are committed after each push; invalid messages go to the dead-letter topic)."""
    from pricing.store.realtime import RealtimeStore
    from pricing.streaming.broker import bootstrap_servers
    from pricing.streaming.consumer import StreamConsumer
    from pricing.streaming.status import ConsumerStats

    cfg = settings()
    servers = bootstrap_servers(cfg)
    stop = _stop_on_signals()
    last = [0.0]

    def report(stats: ConsumerStats) -> None:
        if time.monotonic() - last[0] >= LOG_EVERY or not stats.state.startswith("running"):
            last[0] = time.monotonic()
            console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {stats.summary()}")

    consumer = StreamConsumer(cfg, servers, RealtimeStore(cfg), report)
    console.print(
        f"consuming {', '.join(consumer.kinds)} from {servers} as group "
        f"{cfg.kafka.group_id!r} into the realtime view; status: pricing stream status"
    )
    stats = consumer.run(stop, idle_exit)
    console.print(stats.summary())
    if json_out:
        emit_json(stats.as_dict())


def _describe(status: dict[str, Any]) -> str:
    fresh = status.get("freshness_p99_ms")
    lines = [
        f"consumer: {status['state']} (pid {status['pid']}, group {status['group']!r}, "
        f"{status['bootstrap']}), updated {status['age_s']:.0f}s ago",
        f"events: {status['consumed']:,} consumed, {status['applied']:,} applied, "
        f"{status['duplicates']:,} duplicates, {status['stale']:,} stale, "
        f"{status['dead_lettered']:,} dead-lettered",
        f"rate: {status['events_per_s']:,.0f} events/s; lag: {status['lag_total']:,}"
        + (
            ""
            if fresh is None
            else f"; freshness p50 {status['freshness_p50_ms']:.0f} ms, p99 {fresh:.0f} ms"
        ),
    ]
    for reason, count in status["dead_letter_reasons"].items():
        lines.append(f"  dead letters: {count:,} x {reason}")
    return "\n".join(lines)


@app.command()
@friendly_errors
def status(json_out: Annotated[bool, JSON_OPTION] = False) -> None:
    """The consumer's state, rate, lag, freshness and dead letters."""
    from pricing.streaming.status import read_status

    cfg = settings()
    found = read_status(cfg)
    if found is None:
        fail(f"no consumer has run for {cfg.home_dir}; start one with `pricing stream run`")
    console.print(_describe(found))
    if json_out:
        emit_json(found)


@app.command()
@friendly_errors
def reconcile(
    periods: Annotated[
        int | None, typer.Option(min=1, help="Compare only the home's last N periods.")
    ] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Check the stream against batch: per series and period, units, price, stock and rival
    prices rebuilt from the realtime view's offline log vs the home's batch rows."""
    import pandas as pd

    from pricing.data.home import HomeData
    from pricing.store.definitions import realtime_log
    from pricing.streaming.consumer import home_period_start
    from pricing.streaming.rebuild import batch_aggregates, streamed_aggregates
    from pricing.streaming.rebuild import reconcile as disagreements
    from pricing.streaming.replay import history_tables

    cfg = settings()
    path = realtime_log(cfg)
    if not path.exists():
        fail(f"{path} does not exist: run `pricing store apply`, then `pricing stream run`")
    streamed = streamed_aggregates(pd.read_parquet(path), home_period_start(cfg))
    tables, _ = history_tables(HomeData(cfg.data_dir), periods)
    batch = batch_aggregates(tables)
    both = streamed.merge(batch, on=["product_id", "location_id", "period"])
    found = disagreements(streamed, batch)
    console.print(
        f"{len(streamed):,} series-periods in the stream log, {len(batch):,} in batch, "
        f"{len(both):,} in both: {len(found):,} disagreement(s)"
        + ("" if len(both) else " (nothing to compare until batch holds the streamed periods)")
    )
    for row in found.head(20).itertuples(index=False):
        when = pd.Timestamp(row.period, unit="s", tz="UTC").date()
        console.print(
            f"  {row.product_id}@{row.location_id} {when} {row.aggregate}: "
            f"stream {row.stream} vs batch {row.batch}"
        )
    if json_out:
        emit_json(
            {
                "streamed": len(streamed),
                "batch": len(batch),
                "compared": len(both),
                "disagreements": len(found),
                "equal": bool(found.empty) if len(both) else None,
            }
        )
    if not found.empty:
        raise typer.Exit(1)
