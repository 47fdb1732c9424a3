"""The consumer's figures (rate, lag, freshness, dead letters), kept while it runs and
written to ``<home>/stream/status.json`` for ``pricing stream status``."""

from __future__ import annotations

import json
import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from pricing.data.home import write_json_atomic
from pricing.settings import Settings

#: Freshness figures cover the most recent events (a window, not the whole run).
FRESHNESS_WINDOW = 20_000
#: The event rate is measured over the last seconds.
RATE_WINDOW_S = 10.0


def status_path(settings: Settings) -> Path:
    return settings.stream_dir / "status.json"


@dataclass
class ConsumerStats:
    """Running totals of one consumer process."""

    group: str
    bootstrap: str
    consumed: int = 0
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    pushed_rows: int = 0
    batches: int = 0
    dead_lettered: Counter[str] = field(default_factory=Counter)
    lag: dict[str, int] = field(default_factory=dict)
    state: str = "starting"
    started: float = field(default_factory=time.time)
    freshness_ms: deque[float] = field(default_factory=lambda: deque(maxlen=FRESHNESS_WINDOW))
    recent: deque[tuple[float, int]] = field(default_factory=deque)

    def batch_done(self, events: int, freshness_ms: list[float]) -> None:
        now = time.monotonic()
        self.batches += 1
        self.freshness_ms.extend(freshness_ms)
        self.recent.append((now, events))
        while self.recent and now - self.recent[0][0] > RATE_WINDOW_S:
            self.recent.popleft()

    def events_per_s(self) -> float:
        if not self.recent:
            return 0.0
        span = max(time.monotonic() - self.recent[0][0], 1.0)
        return sum(n for _, n in self.recent) / span

    def freshness(self, quantile: float) -> float | None:
        if not self.freshness_ms:
            return None
        return float(np.quantile(np.fromiter(self.freshness_ms, float), quantile))

    def as_dict(self) -> dict[str, Any]:
        p50, p99 = self.freshness(0.5), self.freshness(0.99)
        return {
            "state": self.state,
            "pid": os.getpid(),
            "group": self.group,
            "bootstrap": self.bootstrap,
            "consumed": self.consumed,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "stale": self.stale,
            "dead_lettered": sum(self.dead_lettered.values()),
            "dead_letter_reasons": dict(self.dead_lettered),
            "pushed_rows": self.pushed_rows,
            "batches": self.batches,
            "events_per_s": round(self.events_per_s(), 1),
            "freshness_p50_ms": None if p50 is None else round(p50, 1),
            "freshness_p99_ms": None if p99 is None else round(p99, 1),
            "lag": dict(self.lag),
            "lag_total": sum(self.lag.values()),
            "started": self.started,
            "updated": time.time(),
        }

    def summary(self) -> str:
        p50, p99 = self.freshness(0.5), self.freshness(0.99)
        fresh = "" if p50 is None else f", freshness p50 {p50:.0f} ms p99 {p99:.0f} ms"
        dead = sum(self.dead_lettered.values())
        return (
            f"{self.state}: {self.consumed:,} events ({self.events_per_s():,.0f}/s), "
            f"lag {sum(self.lag.values()):,}{fresh}, dead-lettered {dead:,}, "
            f"duplicates {self.duplicates:,}, stale {self.stale:,}"
        )


def write_status(settings: Settings, stats: ConsumerStats) -> None:
    write_json_atomic(stats.as_dict(), status_path(settings))


def read_status(settings: Settings) -> dict[str, Any] | None:
    """The last status a consumer of this home wrote (None if none ever ran); a consumer that
    died without saying so is reported as such."""
    path = status_path(settings)
    if not path.exists():
        return None
    status = json.loads(path.read_text())
    if status["state"] != "stopped" and not psutil.pid_exists(int(status["pid"])):
        status["state"] = f"dead (process {status['pid']} is gone; last: {status['state']})"
    status["age_s"] = round(time.time() - float(status["updated"]), 1)
    return status
