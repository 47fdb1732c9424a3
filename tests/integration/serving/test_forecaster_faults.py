"""The forecaster service down, every part a real process: `bentoml serve` of the module (the
pricing and forecaster services) on a copy of the trained home, its online store a private
redis-server. One product's published forecast is missing and one's is stale, so only those
two need the forecaster.

Hung (SIGSTOP) and then killed (SIGKILL: BentoML's arbiter restarts it, TensorFlow and all),
the forecaster leaves every request answered within its timeout: items with fresh published
forecasts keep model prices, the two others get flagged fallbacks, and the decision log names
the gap; once it is back, the two are priced from live forecasts again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psutil
import pytest

from pricing.processes import free_port, start, stop_process
from pricing.serving.decision_log import read_decisions
from pricing.serving.process import serve_command, service_environment, wait_ready
from pricing.settings import Settings
from pricing.store import ops
from pricing.store.backends import RedisOnlineStore
from tests.integration.serving.workers import service_workers
from tests.services import private_redis

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "pricing_bentos.service:Pricing"
PRODUCTS = [f"P{i:04d}" for i in range(1, 7)]
MISSING, STALE = "P0002", "P0003"
TIMEOUT_S, RETRY_S = 0.5, 2.0
#: Every request comes back within the forecaster's timeout plus the pricing work.
ANSWERED_WITHIN_S = TIMEOUT_S + 0.75


@pytest.fixture
def private_redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server (never the machine's shared one)."""
    with private_redis(tmp_path / "redis") as server:
        yield server.url


@pytest.fixture
def home(trained_home, tmp_path: Path, private_redis_url: str) -> Settings:
    """A copy of the trained home on the private Redis, with MISSING's published forecast
    left out and STALE's ten days old, and no decisions logged yet."""
    source, bentoml_home = trained_home
    shutil.copytree(source, tmp_path / "home")
    settings = Settings(
        home=tmp_path / "home",
        model_store=bentoml_home,
        online_store=RedisOnlineStore(url=private_redis_url),
    )
    path = settings.features_dir / "demand_forecast.parquet"
    forecasts = pd.read_parquet(path)
    forecasts = forecasts[forecasts["product_id"] != MISSING].copy()
    old = forecasts["product_id"] == STALE
    for column in ("event_timestamp", "created_timestamp"):
        forecasts.loc[old, column] -= pd.Timedelta(days=10)
    forecasts.to_parquet(path)
    ops.apply(settings)
    ops.materialize(settings, full=True)
    # the shared home's log holds other tests' decisions (in-process, without a forecaster)
    shutil.rmtree(settings.decisions_dir, ignore_errors=True)
    service = settings.service.model_copy(
        update={"forecaster_timeout_s": TIMEOUT_S, "forecaster_retry_s": RETRY_S}
    )
    return settings.model_copy(update={"service": service})


def recommend(url: str) -> tuple[dict[str, dict[str, Any]], float]:
    """Every product's answer, and how long the request took."""
    began = time.monotonic()
    answer = httpx.post(
        f"{url}/recommend", json={"items": [{"product_id": p} for p in PRODUCTS]}, timeout=10
    )
    took = time.monotonic() - began
    assert answer.status_code == 200, answer.text
    return {item["product_id"]: item for item in answer.json()["items"]}, took


def assert_degraded(answers: dict[str, dict[str, Any]]) -> None:
    """Fresh published forecasts still priced by the model; the two others flagged."""
    for product, item in answers.items():
        if product in (MISSING, STALE):
            assert item["fallback"], item
            assert "forecast" in item["fallback_reason"], item["fallback_reason"]
        else:
            assert not item["fallback"] and item["policy"] == "ppo", item


def wait_live(url: str, within: float) -> float:
    """Seconds until MISSING and STALE are priced by the model again."""
    began = time.monotonic()
    while time.monotonic() - began < within:
        answers, _ = recommend(url)
        if not any(answers[p]["fallback"] for p in PRODUCTS):
            return time.monotonic() - began
        time.sleep(0.5)
    raise AssertionError(f"still falling back {within:.0f}s after the forecaster returned")


def outage(url: str, seconds: float) -> list[float]:
    """Request latencies while the forecaster is down, each answer checked."""
    took, began = [], time.monotonic()
    while time.monotonic() - began < seconds:
        answers, elapsed = recommend(url)
        assert_degraded(answers)
        took.append(elapsed)
        time.sleep(0.2)
    return took


@pytest.mark.usefixtures("steady_gc")
def test_forecaster_down_leaves_published_forecasts_serving_and_the_gap_flagged(home, tmp_path):
    log = tmp_path / "serve.log"
    port = free_port()
    with open(log, "wb") as out:
        server = start(serve_command(SERVICE, "127.0.0.1", port), service_environment(home), out)
    url = f"http://127.0.0.1:{port}"
    forecaster: psutil.Process | None = None
    try:
        wait_ready(url, server, 180, log)
        answers, _ = recommend(url)
        reasons = {p: a["fallback_reason"] for p, a in answers.items() if a["fallback"]}
        assert not reasons  # the two made live
        forecaster = service_workers(server.pid)["forecaster"]

        os.kill(forecaster.pid, signal.SIGSTOP)  # hung: connects, never answers
        hung = outage(url, 3 * RETRY_S)
        os.kill(forecaster.pid, signal.SIGCONT)
        back_from_hang = wait_live(url, 10 + RETRY_S)

        forecaster.kill()  # gone: the arbiter starts a new one, which loads TensorFlow again
        killed = outage(url, 2 * RETRY_S)
        back_from_kill = wait_live(url, 120)
        print(
            f"forecaster hung: {len(hung)} requests, max {max(hung) * 1000:.0f} ms; live again "
            f"{back_from_hang:.1f}s after SIGCONT. killed: {len(killed)} requests, max "
            f"{max(killed) * 1000:.0f} ms; live again {back_from_kill:.1f}s after the kill"
        )
        assert max(hung + killed) < ANSWERED_WITHIN_S
        # Waiting for the dead forecaster is the exception: at most one request per retry.
        slow = [t for t in hung if t > TIMEOUT_S * 0.8]
        assert 1 <= len(slow) <= 4
    finally:
        if forecaster is not None and forecaster.is_running():
            forecaster.send_signal(signal.SIGCONT)
        stop_process(server)  # the decision log flushes on shutdown
    decisions = read_decisions(home.decisions_dir)
    gaps = [
        json.loads(row)
        for row, product in zip(decisions["features"], decisions["product_id"], strict=True)
        if product in (MISSING, STALE)
    ]
    reasons = {row.get("forecast_gap") for row in gaps}
    assert f"forecaster did not answer within {TIMEOUT_S:g} s" in reasons
    assert any(r and r.startswith("not asked for") for r in reasons)
    assert {row["forecast_source"] for row in gaps} == {"live", "published"}
