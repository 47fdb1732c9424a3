"""The demo on embedded defaults: data, then the pipeline (features -> Feast -> snapshot ->
model trio -> promotion -> bento; the command line runs it as the Prefect flow), then an
online read and a recommendation."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pricing.market.drift import ShiftKind
from pricing.settings import Settings

DATASETS = ("synthetic", "oj", "retail_price")
#: PPO iterations in the demo: a short run so `make demo` stays within minutes; the
#: benchmark's agent comes from `pricing train` (40 iterations).
DEMO_AGENT_ITERATIONS = 8


@dataclass(frozen=True)
class DemoSizes:
    products: int
    days: int

    @classmethod
    def pick(cls, products: int | None, days: int | None, quick: bool) -> DemoSizes:
        default = cls(8, 120) if quick else cls(50, 730)
        return cls(products or default.products, days or default.days)


Step = tuple[str, Callable[[], Any]]


def demo_home(settings: Settings, dataset: str) -> Settings:
    """One grain per home: real data sets get a sibling home ``<home>-<dataset>``."""
    if dataset == "synthetic":
        return settings
    return settings.for_home(settings.home_dir.with_name(f"{settings.home_dir.name}-{dataset}"))


def demo_agent_iterations(quick: bool) -> int | None:
    """PPO iterations of the demo's agent (None: the quick models' own default)."""
    return None if quick else DEMO_AGENT_ITERATIONS


def demo_steps(
    settings: Settings,
    dataset: str,
    sizes: DemoSizes,
    seed: int,
    pipeline: Callable[[], Any],
    monitor: Callable[[], Any],
) -> list[Step]:
    """The ordered steps; each returns a small summary for the result. ``pipeline`` runs
    everything after the data (the command line passes the Prefect ``pricing-pipeline``
    flow, which logs each task as it goes); ``monitor`` runs the drift monitor (the command
    line passes it the Evidently reporter). The synthetic market ends with a price war
    (``DEMO_SHIFT``) in its last monitor window, which the monitor then flags."""
    from pricing.data.adapters import ingest_dataset
    from pricing.data.home import HomeData
    from pricing.data.synthetic import generate_into_home
    from pricing.market.drift import MarketShift
    from pricing.monitoring.windows import window_size

    def data() -> Any:
        if dataset == "synthetic":
            window = window_size("daily", settings.monitor, sizes.products)
            shift = MarketShift(DEMO_SHIFT, start=sizes.days - window)
            return generate_into_home(
                settings, sizes.products, sizes.days, seed, overwrite=True, shift=shift
            ).summary.as_dict()
        return ingest_dataset(HomeData(settings.data_dir), dataset, replace=True).as_dict()

    steps = [
        ("data", data),
        ("pipeline", pipeline),
        ("online", lambda: sample_online(settings)),
        ("recommend", lambda: sample_recommendation(settings)),
        ("reprice", lambda: reprice_catalogue(settings)),
    ]
    if dataset == "synthetic":
        periods = STREAM_PERIODS_QUICK if sizes.products <= 10 else STREAM_PERIODS
        steps.append(("stream", lambda: stream_segment(settings, periods, seed)))
    steps.append(("monitor", monitor))
    return steps


#: The market shift the synthetic demo ends with (in its last monitor window).
DEMO_SHIFT: ShiftKind = "price_war"
#: Earlier windows the demo also monitors, so the dashboard has a drift history to plot.
DEMO_MONITOR_BACKFILL = 3


def reprice_catalogue(settings: Settings) -> dict[str, Any]:
    """Price every series once, as a repricing run would, with the decision log on: the
    dashboard's audit trail and the monitor's served decisions start here."""
    from pricing.data.home import HomeData

    keys = HomeData(settings.data_dir).read("sales")[["product_id", "location_id"]]
    answers = recommend_in_process(settings, keys.drop_duplicates(), decision_log=True)
    moved = [a for a in answers if a.get("recommended_price") != a.get("current_price")]
    fallbacks = [a for a in answers if a.get("fallback")]
    return {"items": len(answers), "repriced": len(moved), "fallbacks": len(fallbacks)}


#: Days of simulated events the streaming segment replays (a few thousand events in full).
STREAM_PERIODS, STREAM_PERIODS_QUICK = 10, 5
#: The rival price cut the segment ends with.
DEMO_CUT = 0.2


def stream_segment(settings: Settings, periods: int, seed: int) -> dict[str, Any]:
    """Replay the market's next days as events into the realtime view (an embedded broker,
    started and stopped here, unless a cluster is configured), then a rival's price cut:
    the first product's streamed competitor price and our price before and after the cut,
    and how long the cut took to reach the recommendation."""
    import threading
    import time

    from pricing.data.home import HomeData
    from pricing.store.realtime import RealtimeStore
    from pricing.streaming.broker import BrokerError, broker_for
    from pricing.streaming.consumer import StreamConsumer
    from pricing.streaming.replay import (
        competitor_cut,
        events_from_tables,
        publish,
        synthetic_tables,
    )

    first = HomeData(settings.data_dir).read("sales")[["product_id", "location_id"]].iloc[0]
    product = str(first["product_id"])
    tables, grain = synthetic_tables(settings, periods, seed)
    events = events_from_tables(tables, grain)
    cut = competitor_cut(events, product, DEMO_CUT)
    keep = ("competitor_price", "recommended_price", "current_price", "explanation")

    def consumed(consumer: StreamConsumer, count: int) -> None:
        deadline = time.monotonic() + 120
        while consumer.stats.consumed < count and time.monotonic() < deadline:
            time.sleep(0.05)

    try:
        with broker_for(settings) as servers:
            consumer = StreamConsumer(settings, servers, RealtimeStore(settings))
            stop = threading.Event()
            worker = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
            worker.start()
            try:
                sent = publish(settings.kafka, servers, events)
                consumed(consumer, sent.events)
                before = sample_recommendation(settings)
                published = time.perf_counter()
                publish(settings.kafka, servers, [cut])
                consumed(consumer, sent.events + 1)
                after = sample_recommendation(settings)
                reaction = time.perf_counter() - published
            finally:
                stop.set()
                worker.join(timeout=30)
    except BrokerError as error:
        return {"skipped": str(error)}
    return {
        "events": sent.events + 1,
        "published_per_s": round(sent.rate, 1),
        "consumed": consumer.stats.consumed,
        "product_id": product,
        "cut_to": cut.model_dump()["price"],
        "cut_to_recommendation_s": round(reaction, 3),
        "before": {k: before.get(k) for k in keep},
        "after": {k: after.get(k) for k in keep},
    }


def recommend_in_process(
    settings: Settings, keys: pd.DataFrame, decision_log: bool
) -> list[dict[str, Any]]:
    """What the service answers for the series in ``keys`` (product_id, location_id), from
    the same engine in this process; logged to the decision log only when asked."""
    from pricing.serving.http_requests import Item
    from pricing.serving.runtime import Runtime, registry_models

    items = [Item(product_id=str(p), location_id=str(loc)) for p, loc in keys.itertuples(False)]
    logged = settings.model_copy(update={"decision_log": decision_log})
    runtime = Runtime(logged, registry_models(settings))
    try:
        return list(runtime.recommend(items)["items"])
    finally:
        runtime.close()


def sample_recommendation(settings: Settings) -> dict[str, Any]:
    """What the service would answer for the first product (not logged)."""
    from pricing.data.home import HomeData

    sales = HomeData(settings.data_dir).read("sales")
    return recommend_in_process(settings, sales[["product_id", "location_id"]].head(1), False)[0]


def sample_online(settings: Settings, n: int = 3) -> list[dict[str, Any]]:
    from pricing.data.home import HomeData
    from pricing.store.ops import online_features

    sales = HomeData(settings.data_dir).read("sales")
    keys = sales[["product_id", "location_id"]].drop_duplicates().head(n)
    rows = []
    for location, group in keys.groupby("location_id"):
        frame = online_features(settings, group["product_id"].tolist(), str(location))
        rows.extend(frame.to_dict(orient="records"))
    return rows


def reset_home(settings: Settings) -> None:
    """The demo owns its home's generated state: start clean so reruns are reproducible."""
    for path in (
        settings.data_dir,
        settings.features_dir,
        settings.feast_dir,
        settings.snapshots_dir,
        settings.generated_dir,
        settings.stream_dir,
        settings.reports_dir,
        settings.decisions_dir,
    ):
        shutil.rmtree(path, ignore_errors=True)
