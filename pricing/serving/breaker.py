"""A circuit breaker for the request path's dependencies (the online store, the forecaster).

A dependency that stops answering costs every request its full timeout, and on the event loop
those waits queue one behind another: a hung Redis at 0.25 s a read held a worker to about four
requests a second (tests/integration/serving/test_fault_redis.py found it). After one failure
the breaker answers "unavailable" at once for ``retry_s`` seconds; the first request after that
asks again, and a success closes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Breaker:
    """After a failed call, the dependency is not asked again for ``retry_s`` seconds."""

    retry_s: float
    clock: Callable[[], float] = time.monotonic
    _until: float = 0.0
    _reason: str = ""

    def blocked(self) -> str | None:
        """Why the dependency is not asked now (None when it may be)."""
        left = self._until - self.clock()
        if left <= 0:
            return None
        return f"not asked for {left:.1f} s more after: {self._reason}"

    def failed(self, reason: str) -> None:
        self._until, self._reason = self.clock() + self.retry_s, reason

    def succeeded(self) -> None:
        self._until = 0.0
