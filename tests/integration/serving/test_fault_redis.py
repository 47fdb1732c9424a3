"""Redis (the online store) failing under load: `bentoml serve` on a private redis-server,
50 requests a second throughout. Redis hung (SIGSTOP, then SIGCONT) and Redis gone (stopped,
started again empty on the same port, re-materialized): every request is still answered, 200,
well under a second; the items priced meanwhile are flagged fallbacks naming the online store,
inside the guardrails; normal answers are back within 5 s of Redis (with its data) returning.

Printed: the longest latency during each outage and the seconds to recover."""

from __future__ import annotations

import collections
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pricing.serving.process import service_environment, service_process
from pricing.settings import Settings
from pricing.store import ops
from tests.integration.commands import cli
from tests.integration.serving.steady_load import Outcome, SteadyLoad, latency_between
from tests.services import PrivateRedis, private_redis

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "pricing_bentos.service:Pricing"
RATE = 50.0  # requests a second
ITEMS = {"items": [{"product_id": "P0001"}, {"product_id": "P0002"}]}
#: Every request must come back within this (the store's read timeout is 0.5 s).
ANSWER_WITHIN_S = 1.0
#: Normal answers again at most this long after Redis (with its data) is back.
RECOVER_WITHIN_S = 5.0
OUTAGE_S = 3.0
AFTER_S = 6.0


@dataclass(frozen=True)
class Served:
    settings: Settings
    redis: PrivateRedis
    url: str


@pytest.fixture(scope="module")
def served_on_redis(trained_home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A copy of the trained home on a private Redis, materialized, served by `bentoml serve`."""
    source, bentoml_home = trained_home
    root = tmp_path_factory.mktemp("fault_redis")
    shutil.copytree(source, root / "home")
    with private_redis(root / "redis") as redis:
        settings = Settings(
            home=root / "home", model_store=bentoml_home, online_store="redis", redis_url=redis.url
        )
        ops.apply(settings)
        ops.materialize(settings, full=True)
        env = service_environment(settings)
        with service_process(SERVICE, env, root / "service.log", timeout=300) as (url, _):
            yield Served(settings, redis, url)


def items_of(outcomes: list[Outcome]) -> list[dict]:
    return [item for o in outcomes for item in o.items]


def assert_all_answered(outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if o.status != 200]
    assert not failed, f"{len(failed)} of {len(outcomes)} not answered 200: {failed[:3]}"
    slow = max(o.latency_s for o in outcomes)
    assert slow < ANSWER_WITHIN_S, f"a request took {slow:.3f}s"


def assert_inside_guardrails(outcomes: list[Outcome]) -> None:
    for item in items_of(outcomes):
        low, high = item["guardrails_applied"]["allowed_range"]
        assert low - 1e-9 <= item["recommended_price"] <= high + 1e-9, item


def assert_flagged(outcomes: list[Outcome]) -> None:
    """Every item a fallback whose reason names the online store, inside the guardrails."""
    for item in items_of(outcomes):
        assert item["fallback"] is True, item
        assert "online store" in item["fallback_reason"].lower(), item["fallback_reason"]
    assert_inside_guardrails(outcomes)


def normal(outcome: Outcome) -> bool:
    return outcome.status == 200 and not any(i["fallback"] for i in outcome.items)


def recovery_s(outcomes: list[Outcome], back: float) -> float:
    """Seconds from ``back`` to the first request sent after it from which every answer is
    normal (infinite when the last one is not)."""
    after = [o for o in outcomes if o.sent >= back]
    assert after, "no request sent after the store came back"
    streak = len(after)
    while streak > 0 and normal(after[streak - 1]):
        streak -= 1
    if streak == len(after):
        return float("inf")
    return max(after[streak].sent - back, 0.0)


def warm_up(url: str) -> None:
    with SteadyLoad(f"{url}/recommend", ITEMS, RATE, timeout_s=5.0) as load:
        time.sleep(2.0)
    outcomes = load.stop()
    assert_all_answered(outcomes)
    assert all(normal(o) for o in outcomes), "fallbacks before any fault: nothing to test"


def test_a_hung_redis_gets_flagged_fallbacks_fast_and_recovers(served_on_redis: Served):
    served = served_on_redis
    warm_up(served.url)
    with SteadyLoad(f"{served.url}/recommend", ITEMS, RATE, timeout_s=5.0) as load:
        time.sleep(2.0)
        hung = time.monotonic()
        served.redis.signal(signal.SIGSTOP)
        time.sleep(OUTAGE_S)
        back = time.monotonic()
        served.redis.signal(signal.SIGCONT)
        time.sleep(AFTER_S)
    outcomes = load.stop()
    worst = latency_between(outcomes, hung, back)
    recovered = recovery_s(outcomes, back)
    during = [o for o in outcomes if hung <= o.sent < back - 0.5]
    reasons = collections.Counter(i.get("fallback_reason") for i in items_of(during))
    print(
        f"\nredis hung {OUTAGE_S:.0f}s under {RATE:.0f} req/s: {len(outcomes)} requests, max "
        f"latency during the hang {worst * 1000:.0f} ms (overall "
        f"{max(o.latency_s for o in outcomes) * 1000:.0f} ms), {len(during)} sent meanwhile "
        f"(fallback reasons {dict(reasons)}), normal answers {recovered:.2f}s after SIGCONT"
    )
    assert_all_answered(outcomes)
    assert during, "no request was answered during the hang"
    assert_flagged(during)
    assert recovered <= RECOVER_WITHIN_S


def test_a_redis_outage_and_restart_gets_flagged_fallbacks_and_recovers(
    served_on_redis: Served,
):
    served = served_on_redis
    env = service_environment(served.settings)
    warm_up(served.url)
    with SteadyLoad(f"{served.url}/recommend", ITEMS, RATE, timeout_s=5.0) as load:
        time.sleep(2.0)
        down = time.monotonic()
        served.redis.stop()  # SIGTERM: Redis closes its clients and exits; its data is gone
        time.sleep(OUTAGE_S)
        restarted = time.monotonic()
        served.redis.start()  # the same port, empty
        cli(env, "store", "materialize", "--full")
        back = time.monotonic()
        time.sleep(AFTER_S)
    outcomes = load.stop()
    recovered = recovery_s(outcomes, back)
    slowest = max(outcomes, key=lambda o: o.latency_s)
    print(
        f"\nredis down {OUTAGE_S:.0f}s, then empty until re-materialized "
        f"({back - restarted:.1f}s) under {RATE:.0f} req/s: {len(outcomes)} requests, max "
        f"latency while down {latency_between(outcomes, down, restarted) * 1000:.0f} ms, "
        f"while empty {latency_between(outcomes, restarted, back) * 1000:.0f} ms; normal "
        f"answers {recovered:.2f}s after the data was back "
        f"({recovered + back - restarted:.2f}s after the restart); slowest "
        f"{slowest.latency_s * 1000:.0f} ms, sent {slowest.sent - down:+.2f}s from the stop "
        f"({slowest.sent - back:+.2f}s from the data's return), fallbacks "
        f"{[i['fallback_reason'] for i in slowest.items if i['fallback']]}"
    )
    assert_all_answered(outcomes)
    stopped = [o for o in outcomes if down + 0.2 <= o.sent < restarted]
    assert stopped, "no request was answered while Redis was down"
    assert_flagged(stopped)
    assert_inside_guardrails(outcomes)  # while it fills up too, fallback or not
    assert recovered <= RECOVER_WITHIN_S
