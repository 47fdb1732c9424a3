"""Where a /recommend request's time goes, in process: the profile behind the hot path's design.

Three timings of the same requests on the home's own online store (Redis for the figures):
the bare online read, the runtime (read + pricing + decision log), and the whole BentoML
service called as an ASGI app in this process (its validation, routing, serialization and
middleware on top), so the HTTP framework's share is the difference. Then one profiled run
per batch size splits the runtime into its stages (cumulative time of the engine's steps).
No network and no second process: the figures are CPU per request, the floor under the HTTP
benchmark's latencies.
"""

from __future__ import annotations

import asyncio
import cProfile
import importlib
import json
import pstats
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pricing.serving.http_requests import Item
from pricing.settings import Settings

#: The engine's steps, by the function that does each (module path suffix, name).
STAGES = {
    "read": ("pricing/serving/engine.py", "_gather"),
    "decide": ("pricing/serving/engine.py", "_choose"),
    "price_response": ("pricing/serving/engine.py", "_evaluate"),
    "attribute": ("pricing/serving/engine.py", "_attribute"),
    "confidence": ("pricing/serving/engine.py", "_confidences"),
    "answers": ("pricing/serving/engine.py", "_answer"),
    "decision_log": ("pricing/serving/decision_log.py", "log"),
}


def _median_ms(call: Callable[[], Any], repeat: int) -> float:
    for _ in range(max(repeat // 10, 3)):  # warm-up: caches, memos, first allocations
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(float(np.median(times)) * 1000.0, 3)


def stage_profile(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Milliseconds per call spent in each of ``STAGES`` (cProfile's cumulative time, so its
    own overhead inflates them alike: read them as shares)."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        call()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = {name: 0.0 for name in STAGES}
    for (path, _, function), (_, _, _, cumulative, _) in stats.items():
        for name, (suffix, wanted) in STAGES.items():
            if function == wanted and path.endswith(suffix):
                total[name] += cumulative
    return {name: round(seconds / repeat * 1000.0, 3) for name, seconds in total.items()}


class _AsgiCaller:
    """Posts JSON to an ASGI app in this process (lifespan started once), with ``headers``
    (the service's key, when it has one)."""

    def __init__(self, app: Any, headers: dict[str, str]) -> None:
        self.app, self.loop = app, asyncio.new_event_loop()
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.loop.run_until_complete(self._lifespan())

    async def _lifespan(self) -> None:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await inbox.put({"type": "lifespan.startup"})
        started = asyncio.Event()

        async def send(message: dict[str, Any]) -> None:
            if message["type"].startswith("lifespan.startup"):
                started.set()

        self._lifespan_task = self.loop.create_task(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
        )
        await started.wait()

    def post(self, path: str, body: bytes) -> int:
        return self.loop.run_until_complete(self._post(path, body))

    async def _post(self, path: str, body: bytes) -> int:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
            "headers": [
                (b"host", b"bench"), (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()), *self.headers,
            ],
        }  # fmt: skip
        status, delivered = 0, False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # the client never disconnects
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


def _measure(
    runtime: Any, caller: _AsgiCaller, keys: list[tuple[str, str]], runs: int
) -> dict[str, Any]:
    """One batch of ``keys``: the read, the runtime, the service, the framework's share, the
    runtime's stages."""
    items = [Item(product_id=p, location_id=loc) for p, loc in keys]
    body = json.dumps({"items": [i.model_dump(exclude_none=True) for i in items]}).encode()
    if (status := caller.post("/recommend", body)) != 200:
        raise RuntimeError(f"the service answered the benchmark's request with HTTP {status}")
    figures: dict[str, Any] = {
        "read_ms": _median_ms(lambda: runtime.source.read(keys), runs),
        "runtime_ms": _median_ms(lambda: runtime.recommend(items), runs),
        "service_ms": _median_ms(lambda: caller.post("/recommend", body), runs),
    }
    figures["framework_ms"] = round(figures["service_ms"] - figures["runtime_ms"], 3)
    figures["stages_ms"] = stage_profile(lambda: runtime.recommend(items), runs)
    return figures


def hotpath(
    settings: Settings, sizes: Sequence[int], repeat: int, keys: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Per batch size: median ms of the bare read, the runtime and the ASGI service, and the
    runtime's stages. The service module is imported here, as `bentoml serve` would, and the
    runtime beside it loads the same (the home's prod) models on the same store."""
    from pricing.serving.access import auth_headers
    from pricing.serving.runtime import Runtime, registry_models

    service = importlib.import_module("pricing_bentos.service")
    caller = _AsgiCaller(service.Pricing.to_asgi(), auth_headers(settings.api_key))
    runtime = Runtime(settings, registry_models(settings))
    rng = np.random.default_rng(settings.seed)
    out: dict[str, Any] = {"online_store": settings.online_store.type, "repeat": repeat}
    for size in sizes:
        chosen = [keys[i] for i in rng.choice(len(keys), size=size, replace=len(keys) < size)]
        out[f"items_{size}"] = _measure(runtime, caller, chosen, max(repeat // size, 20))
    runtime.close()
    return out
