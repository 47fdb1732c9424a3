"""`bentoml serve` of the module starts the forecaster beside the pricing service: POST /forecast
answers with quantiles, refuses bad requests naming the field, holds its latency under load,
and TensorFlow is loaded in the forecaster's process only."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
import numpy as np
import pytest

from pricing.processes import free_port, start, stop_process
from pricing.registry import resolve_model
from pricing.serving.process import serve_command, service_environment, wait_ready
from pricing.settings import Settings
from tests.integration.serving.workers import loads_tensorflow, service_workers

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "pricing_bentos.service:Pricing"
#: The issue's target for one product, measured here only loosely (shared, busy cores).
P99_TARGET_MS = 50.0


@pytest.fixture(scope="module")
def service(trained_home, tmp_path_factory):
    """The module served on the trained home: (URL, the `bentoml serve` process)."""
    home, bentoml_home = trained_home
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRICING_HOME", str(home))
        patch.setenv("BENTOML_HOME", str(bentoml_home))
        settings = Settings()
        log = tmp_path_factory.mktemp("forecast") / "serve.log"
        port = free_port()
        with open(log, "wb") as out:
            process = start(
                serve_command(SERVICE, "127.0.0.1", port), service_environment(settings), out
            )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process, 180, log)
            yield url, process, settings
        finally:
            stop_process(process)


def test_forecast_answers_quantiles_at_the_planned_prices(service):
    url, _, settings = service
    demand = resolve_model(settings, "demand").tag
    priced = httpx.post(f"{url}/recommend", json={"items": [{"product_id": "P0001"}]}).json()
    assert priced["items"][0]["model_version"]["demand"] == demand  # all three tags
    low, high = priced["items"][0]["guardrails_applied"]["allowed_range"]
    body = {"item": {"product_id": "P0001"}, "prices": [low, high], "horizon": 4}
    answer = httpx.post(f"{url}/forecast", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    forecast = answer.json()
    assert forecast["location_id"] == "all" and forecast["horizon"] == 4
    assert [p["price"] for p in forecast["points"]] == [low, high, high, high]
    for point in forecast["points"]:
        assert point["trusted"] and 0 <= point["q10"] <= point["q50"] <= point["q90"]
        assert point["expected_units"] == point["q50"]
    assert forecast["model_version"]["demand"] == demand
    assert forecast["history_age_periods"] == 0.0  # as-of latest: the home's last period
    one = httpx.post(f"{url}/forecast", json={"item": {"product_id": "P0001"}, "price": low})
    assert one.json()["horizon"] == 7  # the model's horizon, by default
    dear = httpx.post(f"{url}/forecast", json={"item": {"product_id": "P0001"}, "price": high})
    assert dear.json()["points"][0]["q50"] < one.json()["points"][0]["q50"]  # dearer, fewer
    meta = httpx.post(f"{url}/metadata", json={}).json()
    assert set(meta["versions"]) >= {"demand", "elasticity", "agent"}
    assert meta["forecasts"]["live"] is True


def test_forecast_and_simulate_agree_at_the_same_price(service):
    """One source of demand at a price: /forecast's next period and the what-if both take
    the demand model at the reference price times the same price response, so they move
    alike with the price; a price the response is not trusted at gets no figure in either.
    Their levels differ only as the live forecast differs from the published one."""
    url = service[0]
    item = {"product_id": "P0002"}
    priced = httpx.post(f"{url}/recommend", json={"items": [item]}).json()["items"][0]
    low, high = priced["guardrails_applied"]["allowed_range"]
    prices = [low, (low + high) / 2, high, 0.01]
    what_if = httpx.post(f"{url}/simulate", json={"item": item, "prices": prices}).json()
    points = [
        httpx.post(
            f"{url}/forecast", json={"item": item, "price": p, "horizon": 1}, timeout=30
        ).json()["points"][0]
        for p in prices
    ]
    for point, expected in zip(points, what_if["points"], strict=True):
        assert point["trusted"] is expected["trusted"], (point, expected)
        assert point["response_confidence"] == expected["response_confidence"]
        if not expected["trusted"]:
            assert point["q50"] is None and point["trust_reason"] == expected["trust_reason"]
    forecast = np.array([p["q50"] for p in points[:3]])
    simulated = np.array([p["expected_units"] for p in what_if["points"][:3]])
    np.testing.assert_allclose(forecast / forecast[0], simulated / simulated[0], rtol=1e-3)
    gap = forecast[0] / simulated[0] - 1
    print(f"\n/forecast vs /simulate at {low:.2f}: live forecast {gap:+.1%} from the published")
    assert abs(gap) < 0.05


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"item": {"product_id": "P0001"}, "prices": [2.0], "price": 2.0}, 400, "prices"),
        ({"item": {"product_id": "P0001"}}, 400, "price"),
        ({"item": {"sku": "P0001"}, "price": 2.0}, 400, "product_id"),
        ({"item": {"product_id": "P0001"}, "price": -1}, 400, "price"),
        ({"item": {"product_id": "P0001"}, "prices": [1.0, 2.0], "horizon": 1}, 400, "prices"),
        ({"item": {"product_id": "P0001"}, "price": 2.0, "horizon": 0}, 400, "horizon"),
        ({"item": {"product_id": "NOPE"}, "price": 2.0}, 404, "'NOPE'"),
        ({"item": {"product_id": "P0001"}, "price": 2.0, "horizon": 30}, 422, "horizon"),
    ],
)
def test_bad_forecast_requests_name_the_field(service, body, status, field):
    answer = httpx.post(f"{service[0]}/forecast", json=body, timeout=30)
    assert answer.status_code == status, answer.text
    assert field in answer.json()["error"]


def test_tensorflow_runs_in_the_forecaster_only(service):
    workers = service_workers(service[1].pid)
    assert set(workers) == {"pricing", "forecaster"}
    assert loads_tensorflow(workers["forecaster"])
    assert not loads_tensorflow(workers["pricing"])


@pytest.mark.usefixtures("steady_gc")
def test_forecast_latency_and_a_concurrent_burst(service):
    url = service[0]
    body = {"item": {"product_id": "P0002"}, "price": 3.0}
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(20):
            client.post("/forecast", json=body)
        took = []
        for _ in range(200):
            began = time.perf_counter()
            assert client.post("/forecast", json=body).status_code == 200
            took.append((time.perf_counter() - began) * 1000)
    p50, p99 = statistics.median(took), float(np.percentile(took, 99))
    print(f"/forecast one product, 200 sequential: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    assert p99 < 4 * P99_TARGET_MS  # the target itself is the benchmark's (pricing bench serve)

    async def burst() -> list[int]:
        """300 calls, 16 at a time: more than BentoML's client refreshes its session after."""
        limit = asyncio.Semaphore(16)
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:

            async def one(i: int) -> int:
                async with limit:
                    item = {"product_id": f"P000{1 + i % 6}"}
                    return (
                        await client.post("/forecast", json={"item": item, "price": 3.0})
                    ).status_code

            return await asyncio.gather(*(one(i) for i in range(300)))

    assert set(asyncio.run(burst())) == {200}
