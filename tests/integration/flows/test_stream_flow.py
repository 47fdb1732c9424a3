"""The stream consumer as a Prefect flow: in process under Prefect's test harness (events reach
the online store, a failed attempt is retried), as `pricing flows run stream_consumer` stopped
by SIGTERM, and served by `pricing flows serve` on a real Prefect server (started by its
schedule, one run at a time, cancelled gracefully, started again)."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest
from prefect.client.orchestration import get_client
from prefect.testing.utilities import prefect_test_harness

from pricing.data.home import HomeData
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.processes import free_port, start, stop_process
from pricing.settings import Settings, get_settings
from pricing.store import ops
from pricing.store.realtime import RealtimeStore
from pricing.streaming import broker as broker_module
from pricing.streaming.broker import BrokerError, broker_record, record, start_broker
from pricing.streaming.events import CompetitorPriceEvent, Event, InventoryEvent
from pricing.streaming.kafka import ensure_topics
from pricing.streaming.replay import events_from_tables, history_tables, publish
from pricing.streaming.status import read_status
from pricing_flows.stream import stream_consumer
from tests.integration.commands import STOP_WITHIN, wait_for
from tests.services import prefect_api

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # else: "database is locked"
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def home() -> Iterator[Settings]:
    """A small home with its Feast registry and an embedded broker recorded for it."""
    settings = get_settings()
    generate_into_home(settings, products=3, days=30, seed=1)
    build_features(settings)
    ops.apply(settings)
    broker = start_broker(settings.logs_dir / "broker.log")
    record(settings, broker)
    ensure_topics(settings.kafka, broker.bootstrap)
    try:
        yield settings
    finally:
        broker.stop()


def replay(settings: Settings, periods: int = 2) -> list[Event]:
    """The home's last periods as events, published to its broker."""
    events = events_from_tables(*history_tables(HomeData(settings.data_dir), periods))
    publish(settings.kafka, broker_module.bootstrap_servers(settings), events)
    return events


def latest(events: list[Event]) -> dict[tuple[str, str], dict[str, float]]:
    """Per series, the last rival price and stock count the events say."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for event in sorted(events, key=lambda e: e.event_time):  # stable: ties keep their order
        if isinstance(event, CompetitorPriceEvent) and event.competitor_type == "competitor":
            out.setdefault(event.key, {})["realtime_competitor_price"] = event.price
        elif isinstance(event, InventoryEvent):
            out.setdefault(event.key, {})["realtime_on_hand"] = event.on_hand
    return out


def flow_run(state: Any) -> Any:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id)


def test_the_flow_folds_replayed_events_into_the_online_store(harness, home):
    events = replay(home)
    began = time.monotonic()
    state = stream_consumer(home=str(home.home_dir), idle_exit_s=2.0, return_state=True)
    print(f"flow run: {len(events)} events in {time.monotonic() - began:.1f}s")
    assert state.is_completed(), state
    stats = state.result()
    assert stats["consumed"] == len(events) and stats["dead_lettered"] == 0
    assert stats["state"] == "stopped" and stats["lag_total"] == 0
    assert read_status(home)["state"] == "stopped"  # pricing stream status sees it too
    expected = latest(events)
    stored = RealtimeStore(home).read(sorted(expected))
    for key, values in expected.items():
        assert {name: stored[key][name] for name in values} == values, key
    run = flow_run(state)
    assert run.name and run.flow_id and run.parameters["home"] == str(home.home_dir)
    assert run.state.type.value == "COMPLETED"


def test_a_failed_attempt_is_retried(harness, home, monkeypatch):
    real, calls = broker_module.bootstrap_servers, []

    def down_at_first(settings: Settings) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise BrokerError("no Kafka broker (the outage this test makes)")
        return real(settings)

    events = replay(home, periods=1)
    monkeypatch.setattr(broker_module, "bootstrap_servers", down_at_first)
    quick = stream_consumer.with_options(retry_delay_seconds=1)
    state = quick(home=str(home.home_dir), idle_exit_s=1.0, return_state=True)
    assert state.is_completed(), state
    assert state.result()["consumed"] == len(events)
    assert flow_run(state).run_count == 2  # the first attempt failed, the retry consumed


def test_a_lost_broker_ends_the_attempt_and_a_retry_finds_the_new_one(harness, home):
    """The embedded broker dies (memory-only: all is lost) and another starts on another
    port: the running attempt notices, fails, and a retry consumes from the new broker."""
    outcome: dict[str, Any] = {}
    quick = stream_consumer.with_options(retry_delay_seconds=2)
    runner = threading.Thread(
        target=lambda: outcome.update(
            state=quick(home=str(home.home_dir), idle_exit_s=15.0, return_state=True)
        )
    )
    runner.start()
    log, replacement = home.logs_dir / "broker.log", None
    status = lambda: read_status(home) or {}  # noqa: E731
    try:
        wait_for(lambda: status().get("state") == "running" or None, 120, "the consumer", log)
        first = replay(home, periods=1)
        wait_for(lambda: status()["consumed"] == len(first) or None, 60, "consumption", log)
        psutil.Process(json.loads(broker_record(home).read_text())["pid"]).kill()
        broker_record(home).unlink()  # as `pricing stream broker` does when its broker exits
        wait_for(lambda: status()["state"] == "stopped" or None, 60, "the attempt's end", log)
        replacement = start_broker(log)
        record(home, replacement)
        ensure_topics(home.kafka, replacement.bootstrap)
        second = replay(home, periods=1)
        runner.join(120)
        assert not runner.is_alive()
    finally:
        if replacement is not None:
            replacement.stop()
        runner.join(30)
    state = outcome["state"]
    assert state.is_completed(), state
    assert state.result()["consumed"] == len(second)  # all of them, from the new broker
    assert state.result()["bootstrap"] == replacement.bootstrap
    assert flow_run(state).run_count >= 2


def test_flows_run_stream_consumer_stops_gracefully_on_sigterm(harness, home, tmp_path):
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PRICING_"))}
    env |= {"PRICING_HOME": str(home.home_dir), "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    log = tmp_path / "flows-run.log"
    with open(log, "wb") as out:
        process = start(
            [sys.executable, "-m", "pricing.cli.main", "flows", "run", "stream-consumer"], env, out
        )
    try:
        running = lambda: read_status(home) or {}  # noqa: E731
        wait_for(lambda: running().get("pid") == process.pid or None, 120, "the consumer", log)
        events = replay(home, periods=1)
        wait_for(lambda: running()["consumed"] == len(events) or None, 30, "consumption", log)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STOP_WITHIN)
        print(f"stopped {time.monotonic() - began:.1f}s after SIGTERM")
        assert read_status(home)["state"] == "stopped"  # finished its batch, left the group
    finally:
        stop_process(process)
    run_id = re.search(r"/flow-run/([0-9a-f-]{36})", log.read_text())
    assert run_id, log.read_text()
    with get_client(sync_client=True) as client:  # a bare SIGTERM is a crash to Prefect
        assert client.read_flow_run(run_id[1]).state.type.value == "CRASHED"


# --------------------------------------------------------------- served on a real server
def deployment_runs(api: httpx.Client, deployment_id: str) -> list[dict[str, Any]]:
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "sort": "START_TIME_DESC"}
    return list(api.post("/flow_runs/filter", json=body).json())


def test_served_consumer_runs_once_is_cancelled_gracefully_and_restarts(home, tmp_path):
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    api = prefect_api(api_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PRICING_"))}
    env |= {
        "PRICING_HOME": str(home.home_dir),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",  # schedules runs sooner
    }
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    with open(server_log, "wb") as out:
        server = start(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)], env, out,
        )  # fmt: skip
    served = None
    try:
        wait_for(lambda: api.get("/health").is_success or None, 180, "server", server_log)
        with open(serve_log, "wb") as out:
            served = start(
                [sys.executable, "-m", "pricing.cli.main", "flows", "serve",
                 "--stream-every", "15"], env, out,
            )  # fmt: skip
        url = "/deployments/name/stream-consumer/realtime"
        deployment = wait_for(
            lambda: ((found := api.get(url)).is_success and found.json()) or None,
            180, "the stream deployment", serve_log,
        )  # fmt: skip
        assert deployment["parameters"] == {"home": str(home.home_dir)}
        assert deployment["global_concurrency_limit"]["limit"] == 1
        assert deployment["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"
        assert deployment["schedules"][0]["schedule"]["interval"] == 15

        def running() -> dict[str, Any] | None:
            runs = deployment_runs(api, deployment["id"])
            going = [r for r in runs if r["state"]["type"] == "RUNNING"]
            assert len(going) <= 1, going  # one consumer at a time
            return going[0] if going else None

        first = wait_for(running, 180, "a run started by the schedule", serve_log)
        events = replay(home, periods=1)
        expected = latest(events)
        store = RealtimeStore(home)

        def consumed() -> bool | None:
            stored = store.read(sorted(expected))
            return (
                all(
                    stored[key]["realtime_on_hand"] == values["realtime_on_hand"]
                    for key, values in expected.items()
                )
                or None
            )

        wait_for(consumed, 60, "the events in the online store", serve_log)
        extra = api.post(f"/deployments/{deployment['id']}/create_flow_run", json={})
        assert extra.is_success, extra.text  # "Run" in the UI while one runs: cancelled at once

        def state_of(run_id: str, *types: str) -> str | None:
            kind = api.get(f"/flow_runs/{run_id}").json()["state"]["type"]
            return kind if kind in types else None

        wait_for(lambda: state_of(extra.json()["id"], "CANCELLED"), 60, "the refusal", serve_log)
        assert running()["id"] == first["id"]

        cancel = {"state": {"type": "CANCELLING", "name": "Cancelling"}, "force": True}
        began = time.monotonic()
        api.post(f"/flow_runs/{first['id']}/set_state", json=cancel).raise_for_status()
        final = wait_for(
            lambda: state_of(first["id"], "CANCELLED", "CRASHED", "FAILED", "COMPLETED"),
            60, "the cancellation", serve_log,
        )  # fmt: skip
        stopped = read_status(home)["state"]
        print(f"cancelled in {time.monotonic() - began:.1f}s; consumer state {stopped!r}")
        assert final == "CANCELLED" and stopped == "stopped"
        again = wait_for(
            lambda: ((r := running()) and r["id"] != first["id"] and r) or None,
            120, "a restart by the schedule", serve_log,
        )  # fmt: skip
        assert again["parameters"] == {"home": str(home.home_dir)}
    finally:
        if served is not None:
            stop_process(served, 30)
        stop_process(server, 30)
        api.close()
