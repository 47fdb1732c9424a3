"""Serving benchmark: HTTP load on the pricing service, next to a bare Feast online read.

Open loop (``rate``): requests are sent on a fixed schedule whatever the service does, and each
latency counts from the request's scheduled time, so a stalled service shows as latency instead
of silently lowering the load (no coordinated omission). Closed loop (``concurrency``): C
clients send back to back, which measures maximum throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pricing.models.elasticity import META
from pricing.processes import tree_rss_mb
from pricing.settings import Settings

Key = tuple[str, str]
Figures = dict[str, float | None]  # a load run's summary; percentiles None when nothing succeeded
SOURCE_TARGET = "pricing_bentos.service:Pricing"


@dataclass(frozen=True)
class LoadResult:
    latencies_ms: np.ndarray
    errors: int
    seconds: float

    def summary(self) -> Figures:
        ok = self.latencies_ms

        def pct(q: float) -> float | None:
            return round(float(np.percentile(ok, q)), 2) if len(ok) else None

        return {
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "rps": round((len(ok) + self.errors) / self.seconds, 1),
            "errors": self.errors,
            "requests": len(ok) + self.errors,
        }


def request_bodies(keys: Sequence[Key], items: int, count: int, seed: int = 0) -> list[bytes]:
    """``count`` distinct /recommend bodies of ``items`` random catalogue items each."""
    rng = np.random.default_rng(seed)
    bodies = []
    for _ in range(count):
        chosen = rng.choice(len(keys), size=items, replace=len(keys) < items)
        payload = [{"product_id": keys[i][0], "location_id": keys[i][1]} for i in chosen]
        bodies.append(json.dumps({"items": payload}).encode())
    return bodies


async def _send(session: Any, url: str, body: bytes, since: float) -> tuple[float, bool]:
    import aiohttp

    loop = asyncio.get_running_loop()
    try:
        async with session.post(url, data=body, headers={"content-type": "application/json"}) as r:
            await r.read()
            ok = r.status == 200
    except (TimeoutError, aiohttp.ClientError):
        ok = False
    return (loop.time() - since) * 1000.0, ok


async def _open_loop(
    url: str, bodies: list[bytes], rate: float, duration: float, headers: Mapping[str, str]
) -> LoadResult:
    import aiohttp

    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=timeout, headers=headers
    ) as session:
        start, tasks = loop.time(), []
        for i in range(int(rate * duration)):
            scheduled = start + i / rate
            if (delay := scheduled - loop.time()) > 0:
                await asyncio.sleep(delay)
            body = bodies[i % len(bodies)]
            tasks.append(asyncio.create_task(_send(session, url, body, scheduled)))
        results = await asyncio.gather(*tasks)
        seconds = loop.time() - start
    return _collect(results, seconds)


async def _closed_loop(
    url: str, bodies: list[bytes], concurrency: int, duration: float, headers: Mapping[str, str]
) -> LoadResult:
    import aiohttp

    loop = asyncio.get_running_loop()
    results: list[tuple[float, bool]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        start = loop.time()

        async def client(offset: int) -> None:
            i = offset
            while loop.time() - start < duration:
                results.append(await _send(session, url, bodies[i % len(bodies)], loop.time()))
                i += concurrency

        await asyncio.gather(*(client(c) for c in range(concurrency)))
        seconds = loop.time() - start
    return _collect(results, seconds)


def _collect(results: list[tuple[float, bool]], seconds: float) -> LoadResult:
    latencies = np.array([ms for ms, ok in results if ok])
    return LoadResult(latencies, sum(1 for _, ok in results if not ok), seconds)


def run_load(
    url: str,
    bodies: list[bytes],
    duration: float,
    rate: float | None = None,
    concurrency: int | None = None,
    path: str = "/recommend",
    headers: Mapping[str, str] | None = None,
) -> LoadResult:
    """One load run against ``url`` + ``path`` (open loop at ``rate`` or closed at C);
    ``headers`` go with every request (the service's key, when it has one)."""
    endpoint, sent = url.rstrip("/") + path, dict(headers or {})
    if concurrency:
        return asyncio.run(_closed_loop(endpoint, bodies, concurrency, duration, sent))
    assert rate is not None and rate > 0
    return asyncio.run(_open_loop(endpoint, bodies, rate, duration, sent))


def capacity(
    url: str,
    bodies: list[bytes],
    duration: float,
    bound_ms: float,
    rates: Sequence[float],
    say: Callable[[str], None],
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The highest offered rate (of ``rates``, ascending) whose p99 stays within ``bound_ms``
    with no errors; the search stops at the first rate that breaks it."""
    held, tried = None, {}
    for rate in rates:
        figures = run_load(url, bodies, duration, rate=rate, headers=headers).summary()
        tried[str(int(rate))] = figures
        say(f"  capacity probe {rate:6.0f} rps: {figures}")
        p99 = figures["p99_ms"]
        if figures["errors"] or p99 is None or p99 > bound_ms:
            break
        held = rate
    return {"p99_bound_ms": bound_ms, "rps": held, "tried": tried}


class MemoryWatch:
    """Resident memory of a process tree sampled every ``every`` seconds, in a thread."""

    def __init__(self, pid: int, every: float = 5.0) -> None:
        import psutil

        self.process, self.every = psutil.Process(pid), every
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)

    def _run(self) -> None:
        start = time.monotonic()
        while True:
            self.samples.append((time.monotonic() - start, tree_rss_mb(self.process)))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, Any]:
        mb = [m for _, m in self.samples]
        first, last = mb[0], mb[-1]
        return {
            "rss_start_mb": round(first, 1),
            "rss_end_mb": round(last, 1),
            "rss_max_mb": round(max(mb), 1),
            "rss_growth_pct": round(100.0 * (last / first - 1.0), 2) if first else None,
            "rss_samples": [[round(t, 1), round(m, 1)] for t, m in self.samples],
        }


def soak(
    url: str,
    bodies: list[bytes],
    rate: float,
    seconds: float,
    pid: int | None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``rate`` req/s for ``seconds``: latency, errors and the service's memory growth (when
    this benchmark started the service and so knows its process)."""
    if pid is None:
        figures = run_load(url, bodies, seconds, rate, headers=headers).summary()
        return {"rate": rate, "seconds": seconds, **figures}
    with MemoryWatch(pid) as watch:
        figures = run_load(url, bodies, seconds, rate=rate, headers=headers).summary()
    return {"rate": rate, "seconds": seconds, **figures, **watch.summary()}


def forecast_bodies(
    keys: Sequence[Key], prices: Sequence[float], count: int, seed: int = 0
) -> list[bytes]:
    """``count`` /forecast bodies, one random catalogue item each, at its reference price."""
    rng = np.random.default_rng(seed)
    bodies = []
    for i in rng.choice(len(keys), size=count):
        item = {"product_id": keys[i][0], "location_id": keys[i][1]}
        bodies.append(json.dumps({"item": item, "price": round(prices[i], 2)}).encode())
    return bodies


def feast_read_latency(source: Any, bodies: list[bytes], reads: int = 500) -> dict[str, float]:
    """The bare Feast online read of the same items, sequential, in this process."""
    keys = [[(i["product_id"], i["location_id"]) for i in json.loads(b)["items"]] for b in bodies]
    times = []
    for n in range(reads):
        started = time.perf_counter()
        source.read(keys[n % len(keys)])
        times.append((time.perf_counter() - started) * 1000.0)
    times_ms = np.array(times[len(times) // 10 :])  # skip the warm-up tenth
    return {
        "feast_p50_ms": round(float(np.percentile(times_ms, 50)), 3),
        "feast_p99_ms": round(float(np.percentile(times_ms, 99)), 3),
    }


def plot_latency(rates: dict[float, Figures], items: int, path: Path) -> None:
    """Latency percentiles against the offered rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = sorted(rates)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in ("p50_ms", "p95_ms", "p99_ms"):
        values = np.array([rates[x][key] for x in xs], dtype=float)  # None (no success): a gap
        ax.plot(xs, values, marker="o", label=key.replace("_ms", ""))
    ax.set_xlabel("offered load (requests/s)")
    ax.set_yscale("log")  # a saturated rate is orders of magnitude above the others
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_title(f"/recommend, {items} item(s) per request")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


@contextlib.contextmanager
def pinned_to(cpus: set[int]) -> Iterator[None]:
    """This process on ``cpus`` while the block runs, its own affinity restored after
    (a no-op where affinity cannot be set, or on a single CPU)."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def serve_bench(
    settings: Settings,
    rps: float,
    duration: float,
    items: int,
    concurrency: int | None = None,
    url: str | None = None,
    sweep: bool = True,
    say: Callable[[str], None] | None = None,
    capacity_ms: float | None = None,
    soak_s: float | None = None,
    forecast_rps: float | None = None,
) -> dict[str, Any]:
    """The whole benchmark: Redis online store, service on CPU 1, load from CPU 0 (this
    process is pinned there while it runs and gets its own CPUs back afterwards).

    ``capacity_ms``: also search the highest rate held with p99 within it; ``soak_s``: also
    hold ``rps`` that long, watching the service's memory; ``forecast_rps``: also load
    /forecast (one product each) at that rate."""
    from pricing.registry import resolve_model
    from pricing.serving.access import auth_headers
    from pricing.serving.features import FeastFeatureSource
    from pricing.serving.process import service_environment, service_process
    from pricing.serving.redis_source import RedisFeatureSource
    from pricing.store import ops
    from pricing.store.backends import RedisOnlineStore

    say = say or (lambda _: None)
    meta = json.loads((resolve_model(settings, "elasticity").path / META).read_text())
    keys = list(zip(meta["series"]["product_id"], meta["series"]["location_id"], strict=True))
    bodies = request_bodies(keys, items, count=256, seed=settings.seed)
    pid: int | None = None
    payload: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if url is None:
            redis = RedisOnlineStore(url=settings.redis_url)
            settings = settings.model_copy(update={"online_store": redis})
            say(f"loading the online features into Redis ({settings.redis_url})")
            ops.apply(settings)
            ops.materialize(settings, full=True)
            env = service_environment(settings)
            log = settings.home_dir / "logs" / "bench_serve.log"
            say("starting bentoml serve pinned to CPU 1")
            url, process = stack.enter_context(service_process(SOURCE_TARGET, env, log, cpus="1"))
            pid = process.pid
        stack.enter_context(pinned_to({0}))  # the load generator keeps to CPU 0
        feast = feast_read_latency(FeastFeatureSource(settings), bodies)
        if settings.online_store.type == "redis":  # the service's own read, beside Feast's
            mine = feast_read_latency(RedisFeatureSource(settings), bodies)
            feast |= {k.replace("feast_", "read_"): v for k, v in mine.items()}
        key = auth_headers(settings.api_key)
        run_load(url, bodies, duration=2, rate=20, headers=key)  # warm-up
        runs: dict[float, Figures] = {}
        if concurrency:
            closed = run_load(url, bodies, duration, concurrency=concurrency, headers=key)
            figures = closed.summary()
        else:
            for rate in sorted({rps, *([50.0, 100.0, 200.0] if sweep else [])}):
                runs[rate] = run_load(url, bodies, duration, rate=rate, headers=key).summary()
                say(f"  {rate:6.0f} rps, {items} item(s): {runs[rate]}")
            figures = runs[rps]
        if capacity_ms is not None:
            rates = [200.0, 300.0, 420.0, 500.0, 600.0, 800.0, 1000.0]
            payload["capacity"] = capacity(url, bodies, duration, capacity_ms, rates, say, key)
        if forecast_rps is not None:
            asks = forecast_bodies(keys, meta["series"]["ref_price"], 64, seed=settings.seed)
            run_load(url, asks, 2, rate=5, path="/forecast", headers=key)  # warm-up
            forecast = run_load(
                url, asks, duration, rate=forecast_rps, path="/forecast", headers=key
            )
            payload["forecast"] = {"rate": forecast_rps, **forecast.summary()}
            say(f"  /forecast at {forecast_rps:.0f} rps: {payload['forecast']}")
        if soak_s is not None:
            say(f"  soak: {rps:.0f} rps for {soak_s:.0f} s")
            payload["soak"] = soak(url, bodies, rps, soak_s, pid, key)
            say(f"  soak: {payload['soak'] | {'rss_samples': '...'}}")
    payload |= {**figures, **feast, "items": items}
    payload |= {"rate": None if concurrency else rps, "concurrency": concurrency}
    payload |= {"duration_s": duration, "online_store": settings.online_store.type}
    p99 = payload["p99_ms"]
    payload["p99_over_feast_ms"] = None if p99 is None else round(p99 - feast["feast_p99_ms"], 2)
    payload["sweep"] = {str(int(r)): v for r, v in runs.items()}
    return payload
