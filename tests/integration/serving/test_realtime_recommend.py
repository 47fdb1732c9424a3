"""The real-time path end to end, every part a real process: `pricing stream broker`, `pricing
stream run`, `bentoml serve`; one competitor price event published reaches /recommend within
two seconds.

The session's trained home is copied first: a streamed row would otherwise stay in the online
store the other serving tests read (the realtime view is written by pushes alone, so no
materialization undoes it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import pandas as pd
import pytest

from pricing.data.home import HomeData
from pricing.processes import stop_process
from pricing.serving.process import service_environment, service_process
from pricing.settings import Settings, get_settings
from pricing.store import ops
from pricing.streaming.broker import recorded_broker
from pricing.streaming.events import SCHEMA_VERSION, CompetitorPriceEvent
from pricing.streaming.replay import publish
from tests.integration.commands import command, stop_by_signal, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

SERVICE = "pricing_bentos.service:Pricing"  # served as a module: no bento to build first
PRODUCT, WARM_UP_PRODUCT = "P0001", "P0002"
#: From publishing the event to /recommend answering with it, at most.
LATENCY_BOUND_S = 2.0


@pytest.fixture
def home(trained_home, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the trained home, its Feast objects and online store rebuilt for the copy's
    own project; the models stay in the session's BentoML store."""
    source, bentoml_home = trained_home
    shutil.copytree(source, tmp_path / "home")
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENTOML_HOME", str(bentoml_home))
    get_settings.cache_clear()
    settings = get_settings()
    ops.apply(settings)
    ops.materialize(settings, full=True)
    return settings


def stream_status(env: Mapping[str, str]) -> dict[str, Any] | None:
    """`pricing stream status --json` (None while no consumer has written one)."""
    done = subprocess.run(
        [sys.executable, "-m", "pricing.cli.main", "stream", "status", "--json"],
        env=dict(env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None


def competitor_event(product: str, price: float, when: pd.Timestamp, n: int) -> Any:
    return CompetitorPriceEvent(
        schema_version=SCHEMA_VERSION,
        event_id=f"e2e-cut-{n}",
        event_time=when.to_pydatetime(),
        product_id=product,
        competitor_id="rival-e2e",
        price=price,
    )


@pytest.mark.usefixtures("steady_gc")
def test_a_published_competitor_cut_reaches_recommend_within_two_seconds(home, tmp_path):
    env = service_environment(home)
    logs = {name: tmp_path / f"{name}.log" for name in ("broker", "consumer", "service")}
    data_end = pd.Timestamp(HomeData(home.data_dir).read("sales")["event_timestamp"].max())
    broker = command(env, logs["broker"], "stream", "broker")
    consumer = None
    try:
        servers = wait_for(lambda: recorded_broker(home), 60, "the broker", logs["broker"])
        consumer = command(env, logs["consumer"], "stream", "run")
        with service_process(SERVICE, env, logs["service"], timeout=300) as (url, _):
            recommend = httpx.Client(base_url=url, timeout=10)
            body = {"items": [{"product_id": PRODUCT}]}

            def competitor_price() -> float:
                answer = recommend.post("/recommend", json=body)
                assert answer.status_code == 200, answer.text
                return float(answer.json()["items"][0]["competitor_price"])

            # the consumer is in its group with its partitions once a first event came through
            warm_up = competitor_event(WARM_UP_PRODUCT, 1.0, data_end, 0)
            publish(home.kafka, servers, [warm_up])

            def consuming() -> dict[str, Any] | None:
                status = stream_status(env) or {}
                ready = status.get("state") == "running" and status.get("consumed", 0) >= 1
                return status if ready and status["lag"] else None

            status = wait_for(consuming, 120, "the consumer's first event", logs["consumer"])
            assert status["pid"] == consumer.pid
            before = competitor_price()
            cut = round(before * 0.7, 2)
            assert cut < before - 0.05
            event = competitor_event(PRODUCT, cut, data_end + timedelta(hours=1), 1)

            published = time.perf_counter()
            publish(home.kafka, servers, [event])
            sent, polls = time.perf_counter() - published, 0
            while (seen := competitor_price()) != cut:
                polls += 1
                assert time.perf_counter() - published < 30, f"still {seen}, not {cut}"
                time.sleep(0.01)
            latency = time.perf_counter() - published
            print(
                f"\ncompetitor price {before} -> {cut}: event -> /recommend in "
                f"{latency * 1000:.0f} ms (publish + broker ack {sent * 1000:.0f} ms, "
                f"{polls} polls before)"
            )
            assert latency <= LATENCY_BOUND_S
            recommend.close()
        stop_by_signal(consumer)  # as an operator stops it: the batch finished, group left
        assert (stream_status(env) or {}).get("state") == "stopped"
        stop_by_signal(broker)
    finally:
        if consumer is not None:
            stop_process(consumer)
        stop_process(broker)
