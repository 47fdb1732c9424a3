"""Load for the fault tests: an open-loop generator that POSTs at a steady rate from a process
of its own (so the test can break things meanwhile), each request with its own timeout, every
outcome kept with its send time; and a burst of requests in flight at once."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

import httpx


@dataclass(frozen=True)
class Outcome:
    """One request: when it was sent (``time.monotonic``), how long it took, and its answer
    (``status`` and ``body``) or why there was none (``error``: the exception's class)."""

    sent: float
    latency_s: float
    status: int | None = None
    body: dict[str, Any] | None = None
    error: str | None = None

    @property
    def items(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("items", []))


def answered(sent: float, answer: httpx.Response) -> Outcome:
    json = answer.headers.get("content-type", "").startswith("application/json")
    return Outcome(
        sent, time.monotonic() - sent, answer.status_code, answer.json() if json else None
    )


class SteadyLoad:
    """``rate`` requests a second of ``payload`` to ``url`` until :meth:`stop`; a request is
    sent on schedule whether or not the earlier ones came back (open loop), so a stalled
    server shows up as latency, not as a slower sender.

    The sender is a spawned process of its own: in the test's process a full garbage
    collection over everything the earlier tests left behind stalls every thread (0.4 s for
    700k objects here, over 1 s on a busy CI machine), which would be timed as the server's
    latency. ``time.monotonic`` is system-wide, so send times compare with the test's."""

    def __init__(self, url: str, payload: dict[str, Any], rate: float, timeout_s: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.timeout_s = timeout_s
        self._ready, self._stop = context.Event(), context.Event()
        self._results: multiprocessing.Queue[list[Outcome]] = context.Queue()
        self._process = context.Process(
            target=_send_steadily,
            args=(url, payload, rate, timeout_s, self._ready, self._stop, self._results),
            daemon=True,
        )
        self._outcomes: list[Outcome] | None = None

    def __enter__(self) -> SteadyLoad:
        self._process.start()
        if not self._ready.wait(60):
            self._process.kill()
            raise RuntimeError("the load generator's process did not start within 60 s")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> list[Outcome]:
        """Stop sending, wait for the requests in flight; every outcome, in send order."""
        if self._outcomes is None:
            self._stop.set()
            self._outcomes = self._results.get(timeout=self.timeout_s + 30)
            self._process.join(30)
        return sorted(self._outcomes, key=lambda o: o.sent)


def _send_steadily(
    url: str,
    payload: dict[str, Any],
    rate: float,
    timeout_s: float,
    ready: Event,
    stop: Event,
    results: multiprocessing.Queue[list[Outcome]],
) -> None:
    """The load generator's process: send until ``stop``, then put every outcome."""
    outcomes: list[Outcome] = []

    async def one(client: httpx.AsyncClient) -> None:
        sent = time.monotonic()
        try:
            answer = await client.post(url, json=payload)
        except httpx.HTTPError as error:
            outcome = Outcome(sent, time.monotonic() - sent, error=type(error).__name__)
        else:
            outcome = answered(sent, answer)
        outcomes.append(outcome)

    async def run() -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as client:
            tasks: set[asyncio.Task[None]] = set()
            ready.set()
            start, n = time.monotonic(), 0
            while not stop.is_set():
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(one(client))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            if tasks:
                await asyncio.wait(tasks)

    asyncio.run(run())
    results.put(outcomes)


class Burst:
    """``n`` requests sent at once, each on a connection of its own that the service has
    already accepted (opened by one request first), so all of them reach it together and are
    in flight at the same time."""

    def __init__(self, url: str, payload: dict[str, Any], n: int, timeout_s: float) -> None:
        self.url, self.payload = url, payload
        self.clients = [httpx.Client(timeout=timeout_s) for _ in range(n)]
        self.outcomes = [
            self._post(client, {"items": payload["items"][:1]}) for client in self.clients
        ]
        self._threads: list[threading.Thread] = []

    def _post(self, client: httpx.Client, payload: dict[str, Any]) -> Outcome:
        sent = time.monotonic()
        try:
            answer = client.post(self.url, json=payload)
        except httpx.HTTPError as error:
            return Outcome(sent, time.monotonic() - sent, error=type(error).__name__)
        return answered(sent, answer)

    def fire(self) -> None:
        def one(client: httpx.Client) -> None:
            self.outcomes.append(self._post(client, self.payload))

        self._threads = [threading.Thread(target=one, args=(c,)) for c in self.clients]
        for thread in self._threads:
            thread.start()

    def wait(self) -> list[Outcome]:
        """Every outcome (the connections' first requests included), once all came back."""
        for thread in self._threads:
            thread.join()
        for client in self.clients:
            client.close()
        return sorted(self.outcomes, key=lambda o: o.sent)


def latency_between(outcomes: list[Outcome], start: float, end: float) -> float:
    """The longest latency of the requests sent in ``[start, end)`` (0 when none)."""
    return max((o.latency_s for o in outcomes if start <= o.sent < end), default=0.0)
