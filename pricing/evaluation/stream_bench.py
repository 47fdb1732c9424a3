"""Streaming benchmark: how fast the real consumer drains a backlog into the online store, how
fresh a paced stream is there, and whether any event is lost, next to the ceilings of its two
ends measured in the same run (a bare Kafka read of the same messages, bare Redis writes).

Synthetic events (sales of one unit each, stock counts, rival and substitute prices) go to
topics and a consumer group of the run's own, over the home's series, in event-time order
inside one fresh period after everything the home and its realtime view hold: they are new,
and each series' units sold online must equal its sales published. The run so writes into the
home's realtime view (plausible values: the series' last prices and stock).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from pricing.data.home import HomeData, NoDataError
from pricing.settings import Settings
from pricing.streaming.events import (
    SCHEMA_VERSION,
    CompetitorPriceEvent,
    Event,
    InventoryEvent,
    SaleEvent,
    epoch,
)
from pricing.streaming.realtime import (
    REALTIME_FEATURES,
    SALE_IDS,
    VIEW,
    Key,
    PeriodStart,
    State,
    fold,
)

DEFAULT_EVENTS = 50_000
#: The freshness phase: events per second, for this many seconds.
PACED_RATE, PACED_SECONDS = 1_000.0, 5.0
#: Shares of sales and stock counts among the events (the rest: rival and substitute prices).
SALES_SHARE, STOCK_SHARE = 0.6, 0.2
#: Warm-up events per series the consumer applies before the timed backlog.
WARM_PER_SERIES = 2
#: Series the store poller reads (all of them on a small home).
TRACKED_SERIES = 16
#: Bare Redis writes: at least this many rows (the consumer pushes few on a small home).
REDIS_MIN_ROWS, REDIS_PIPELINE = 10_000, 1_000
#: Event kind -> the state field holding the event time of its latest applied value.
TIME_FIELD = {
    "sale": "realtime_sales_time",
    "stock": "realtime_on_hand_time",
    "competitor": "realtime_competitor_price_time",
    "substitute": "realtime_substitute_price_time",
}
COMPARED = [n for n in REALTIME_FEATURES if n != "realtime_row_time"] + [SALE_IDS]


@dataclass
class StreamBench:
    """The figures (JSON) and the freshness samples behind them (ms), for the plot."""

    figures: dict[str, Any]
    store_ms: np.ndarray = field(default_factory=lambda: np.empty(0))
    consumer_ms: np.ndarray = field(default_factory=lambda: np.empty(0))


def bench_settings(settings: Settings, run_id: str) -> Settings:
    """The home's settings with topics and a consumer group of the run's own."""
    kafka, topics = settings.kafka, settings.kafka.topics
    renamed = {
        name: f"{getattr(topics, name)}.bench-{run_id}" for name in type(topics).model_fields
    }
    update = {
        "topics": topics.model_copy(update=renamed),
        "group_id": f"{kafka.group_id}.bench-{run_id}",
    }
    return settings.model_copy(update={"kafka": kafka.model_copy(update=update)})


def series_seeds(home: HomeData) -> pd.DataFrame:
    """Each series' last shelf price, rival and substitute prices and stock (NaN: none)."""
    key = ["product_id", "location_id"]
    sales = home.read("sales").dropna(subset=["price"]).sort_values("date")
    seeds = sales.groupby(key, as_index=False).last()[[*key, "price"]]
    stock = home.read("inventory").dropna(subset=["on_hand"]).sort_values("date")
    seeds = seeds.merge(stock.groupby(key).last()["on_hand"], on=key, how="left")
    rivals = home.read("competitor_prices").dropna(subset=["price"]).sort_values("date")
    for kind in ("competitor", "substitute"):
        last = rivals[rivals["competitor_type"] == kind].groupby(key).last()["price"]
        seeds = seeds.merge(last.rename(kind), on=key, how="left")
    return seeds.reset_index(drop=True)


def fresh_period(
    period_start: PeriodStart, grain_delta: pd.DateOffset, latest: float
) -> tuple[float, float]:
    """(start, length) in epoch seconds of the first period starting at or after ``latest``."""
    when = pd.Timestamp(latest, unit="s", tz="UTC")
    start = period_start(when)
    if start < latest:
        start = period_start(when + grain_delta)
    end = pd.Timestamp(start, unit="s", tz="UTC") + grain_delta
    return start, end.timestamp() - start


def synthetic_events(
    seeds: pd.DataFrame, start: float, length: float, count: int, run_id: str, seed: int = 0
) -> list[Event]:
    """``count`` events over the seeds' series, in time order inside [start, start + length)."""
    rng = np.random.default_rng(seed)
    step = math.floor(length * 1000 / (count + 2)) / 1000
    rows = list(seeds.itertuples(index=False))
    sold = [0] * len(rows)
    out: list[Event] = []
    which = rng.integers(len(rows), size=count)
    draws, jitters = rng.random(count), rng.uniform(-0.05, 0.05, count)
    for i, (series, draw) in enumerate(zip(which, draws, strict=True)):
        row = rows[series]
        common = {
            "schema_version": SCHEMA_VERSION,
            "event_id": f"bench-{run_id}-{i}",
            "event_time": datetime.fromtimestamp(start + (i + 1) * step, tz=UTC),
            "product_id": row.product_id,
            "location_id": row.location_id,
        }
        if draw < SALES_SHARE:
            sold[series] += 1
            out.append(SaleEvent(**common, units=1.0, price=float(row.price)))
        elif draw < SALES_SHARE + STOCK_SHARE:
            on_hand = row.on_hand if np.isfinite(row.on_hand) else 100.0
            out.append(InventoryEvent(**common, on_hand=float(max(on_hand - sold[series], 0))))
        else:
            kind: Literal["competitor", "substitute"] = (
                "substitute" if draw > 1 - (1 - SALES_SHARE - STOCK_SHARE) / 4 else "competitor"
            )
            base = getattr(row, kind)
            base = base if np.isfinite(base) else row.price
            price = max(round(float(base) * (1 + jitters[i]), 2), 0.01)
            out.append(
                CompetitorPriceEvent(
                    **common, competitor_id="BENCH", competitor_type=kind, price=price
                )
            )
    return out


def kind_of(event: Event) -> str:
    if isinstance(event, SaleEvent):
        return "sale"
    if isinstance(event, InventoryEvent):
        return "stock"
    assert isinstance(event, CompetitorPriceEvent)
    return event.competitor_type


def count_lost(
    events: Sequence[Event], online: Mapping[Key, State], period: float
) -> dict[str, int]:
    """Events whose effect is missing online, per kind: sales not counted in the period's
    units (one unit each), and values published later than the one the store holds."""
    sales: dict[Key, int] = {}
    lost = dict.fromkeys(TIME_FIELD, 0)
    for event in events:
        kind = kind_of(event)
        if kind == "sale":
            sales[event.key] = sales.get(event.key, 0) + 1
            continue
        stored = online[event.key][TIME_FIELD[kind]]
        lost[kind] += int(math.isnan(stored) or epoch(event.event_time) > stored)
    extra = 0
    for key, published in sales.items():
        state = online[key]
        units = (
            state["realtime_units_in_period"] if state["realtime_period_start"] == period else 0.0
        )
        lost["sale"] += max(0, published - int(units))
        extra += max(0, int(units) - published)
    return lost | {"extra_units": extra}


def same_states(a: Mapping[Key, State], b: Mapping[Key, State]) -> bool:
    """Equal compared features for every series of ``a`` (NaN equal to NaN)."""

    def equal(x: Any, y: Any) -> bool:
        return bool(x == y or (isinstance(x, float) and isinstance(y, float) and x != x and y != y))

    return all(equal(a[k][n], b[k][n]) for k in a for n in COMPARED)


def store_freshness(
    events: Sequence[Event],
    sent_ms: Sequence[float],
    reads: Sequence[tuple[float, Mapping[Key, State]]],
) -> tuple[np.ndarray, int]:
    """Per event of a read series: ms from its send to the first read showing it (its value's
    time, or a later one, in the store); and how many were never seen."""
    pending: dict[tuple[Key, str], list[tuple[float, float]]] = {}
    tracked = set(reads[0][1]) if reads else set()
    for event, sent in zip(events, sent_ms, strict=True):
        if event.key in tracked:
            pending.setdefault((event.key, TIME_FIELD[kind_of(event)]), []).append(
                (epoch(event.event_time), sent)
            )
    latencies: list[float] = []
    at = dict.fromkeys(pending, 0)
    for seen, states in reads:
        for (key, name), queue in pending.items():
            stored, i = states[key][name], at[(key, name)]
            while i < len(queue) and not math.isnan(stored) and queue[i][0] <= stored:
                latencies.append(seen - queue[i][1])
                i += 1
            at[(key, name)] = i
    missed = sum(len(q) - at[k] for k, q in pending.items())
    return np.array(latencies), missed


def quantile(samples: np.ndarray, q: float) -> float | None:
    return round(float(np.quantile(samples, q)), 1) if len(samples) else None


def stream_bench(
    settings: Settings,
    events: int = DEFAULT_EVENTS,
    rate: float = PACED_RATE,
    seconds: float = PACED_SECONDS,
    seed: int = 0,
    say: Callable[[str], None] | None = None,
) -> StreamBench:
    """The whole benchmark on the home of ``settings`` (its online store, its broker or an
    embedded one); see the module docstring."""
    from feast.errors import FeatureViewNotFoundException

    from pricing.data.grain import period_delta
    from pricing.evaluation.stream_probes import POLL_EVERY_S, drop_topics, run_phases
    from pricing.store.realtime import RealtimeStore
    from pricing.streaming.broker import broker_for
    from pricing.streaming.consumer import home_period_start
    from pricing.streaming.kafka import ensure_topics

    say = say or (lambda _: None)
    run_id = uuid.uuid4().hex[:8]
    bench = bench_settings(settings, run_id)
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    store = RealtimeStore(bench)
    try:
        store.store.get_feature_view(VIEW)
    except FeatureViewNotFoundException:
        raise NoDataError(
            f"no {VIEW} view in {settings.home_dir}'s feature store: run `pricing store apply`"
        ) from None
    seeds = series_seeds(home)
    keys: list[Key] = list(zip(seeds["product_id"], seeds["location_id"], strict=True))
    initial = store.read(keys)
    times = [s[n] for s in initial.values() for n in TIME_FIELD.values() if not math.isnan(s[n])]
    latest = max([home.latest_event_time().timestamp(), *times])  # type: ignore[union-attr]
    period_start = home_period_start(settings)
    start, length = fresh_period(period_start, period_delta(grain), latest)
    warm_count, paced_count = WARM_PER_SERIES * len(keys), max(1, int(rate * seconds))
    stream = synthetic_events(seeds, start, length, warm_count + events + paced_count, run_id, seed)
    parts = (stream[:warm_count], stream[warm_count:-paced_count], stream[-paced_count:])
    with broker_for(bench) as servers:
        ensure_topics(bench.kafka, servers)
        try:
            run = run_phases(bench, servers, parts, rate, keys[:TRACKED_SERIES], say)
        finally:
            drop_topics(bench.kafka, servers)
    final = store.read(keys)
    lost = count_lost(stream, final, start)
    store_ms, unseen = store_freshness(parts[2], run.sent_ms, run.reads)
    consumer_ms = np.array(run.stats.get("paced_freshness_ms", []))
    marks = run.marks
    drain = marks["backlog"]["at"] - marks["go"]["at"]
    stats = run.stats
    figures = {
        "events": events,
        "events_per_s": round(events / drain, 1),
        "freshness_p50_ms": quantile(store_ms, 0.5),
        "freshness_p99_ms": quantile(store_ms, 0.99),
        "lost": sum(v for k, v in lost.items() if k != "extra_units"),
        "kafka_consume_per_s": round(run.kafka_rate, 1),
        **redis_ceiling(bench, final, stats.get("pushed_rows", 0)),
        "online_store": settings.online_store.type,
        "series": len(keys),
        "lost_by_kind": lost,
        "online_equals_fold": same_states(fold(stream, initial, period_start).states, final),
        "drain_seconds": round(drain, 3),
        "consumer_warm_s": round(marks["warm"]["at"] - run.started, 2),
        "backlog_batches": marks["backlog"]["batches"] - marks["warm"]["batches"],
        "backlog_rows": marks["backlog"]["pushed_rows"] - marks["warm"]["pushed_rows"],
        "publish_per_s": round(run.published.rate, 1),
        "consumer_freshness_p50_ms": quantile(consumer_ms, 0.5),
        "consumer_freshness_p99_ms": quantile(consumer_ms, 0.99),
        "paced_rate": rate,
        "paced_events": paced_count,
        "paced_caught_up": "all" in marks,
        "freshness_samples": len(store_ms),
        "freshness_unseen": unseen,
        "store_poll_ms": POLL_EVERY_S * 1000,
        "warm_events": warm_count,
        "batch_max_events": bench.kafka.batch_max_events,
        "batch_wait_ms": bench.kafka.batch_wait_ms,
        **{k: stats.get(k) for k in ("batches", "pushed_rows", "duplicates", "stale")},
        "dead_lettered": stats.get("dead_lettered"),
        "run_id": run_id,
    }
    return StreamBench(figures, store_ms, consumer_ms)


def redis_ceiling(settings: Settings, states: Mapping[Key, State], pushed: int) -> dict[str, Any]:
    """Bare Redis write rate of rows like the consumer's (None where the store is not Redis)."""
    from pricing.evaluation.stream_probes import redis_write_rate

    url = getattr(settings.online_store, "url", None)
    if settings.online_store.type != "redis" or url is None:
        reason = f"the online store is {settings.online_store.type}, not Redis"
        return {"redis_write_per_s": None, "redis_skipped": reason}
    count = max(pushed, REDIS_MIN_ROWS)
    sample = [{"product_id": k[0], "location_id": k[1], **s} for k, s in states.items()]
    rows = [sample[i % len(sample)] for i in range(count)]
    rate = redis_write_rate(url, settings.feast_project, rows, REDIS_PIPELINE)
    return {
        "redis_write_per_s": round(rate, 1),
        "redis_rows": count,
        "redis_pipeline": REDIS_PIPELINE,
    }


def plot_stream(result: StreamBench, path: Path) -> None:
    """Freshness distribution (store-observed and at push) and the rate against its ceilings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = result.figures
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    samples = [s for s in (result.store_ms, result.consumer_ms) if len(s)]
    if samples:
        top = max(float(np.quantile(s, 0.999)) for s in samples)
        bins = np.linspace(0, max(top, 1.0), 60)
        left.hist(
            result.store_ms, bins=bins, alpha=0.6, label="visible in the online store (polled)"
        )
        left.hist(result.consumer_ms, bins=bins, alpha=0.6, label="push done (consumer)")
    for q, style in (("freshness_p50_ms", ":"), ("freshness_p99_ms", "--")):
        if figures[q] is not None:
            name = "online " + q.removeprefix("freshness_").removesuffix("_ms")
            left.axvline(figures[q], color="black", linestyle=style, label=name)
    left.set_xlabel("publish -> online (ms)")
    left.set_ylabel("events")
    left.set_title(f"Freshness at {figures['paced_rate']:,.0f} events/s")
    left.legend(fontsize=8, loc="upper right")
    bars = {
        "consumer (events/s)": figures["events_per_s"],
        "bare Kafka read (msgs/s)": figures["kafka_consume_per_s"],
        "bare Redis HSET (rows/s)": figures["redis_write_per_s"],
    }
    shown = {k: v for k, v in bars.items() if v is not None}
    right.barh(list(shown), list(shown.values()), color=["C0", "C1", "C2"][: len(shown)])
    for y, value in enumerate(shown.values()):
        right.annotate(f" {value:,.0f}", (value, y), va="center", fontsize=8)
    right.axvline(10_000, color="black", linestyle="--", label="goal: 10,000 events/s")
    right.set_xlim(0, max([*shown.values(), 10_000]) * 1.25)
    right.set_xlabel("per second")
    right.set_title(f"{figures['events']:,} events, {figures['online_store']} online store")
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
