"""The serving benchmark pins its load generator to one CPU and gives the CPUs back; its
capacity search stops at the first rate past the bound; its memory watch samples a process."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pricing.evaluation.serve_bench import MemoryWatch, capacity, pinned_to

CAN_PIN = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1


@pytest.mark.skipif(not CAN_PIN, reason="needs CPU affinity and at least two usable CPUs")
def test_pinned_to_restores_the_affinity_even_when_the_block_fails():
    before = os.sched_getaffinity(0)
    one = {min(before)}
    with pytest.raises(RuntimeError, match="load failed"), pinned_to(one):
        assert os.sched_getaffinity(0) == one
        raise RuntimeError("load failed")
    assert os.sched_getaffinity(0) == before


class _Slow(BaseHTTPRequestHandler):
    """Answers every POST after ``delay`` seconds."""

    delay = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Slow]]]:
    handler = type("Handler", (_Slow,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()


def test_capacity_is_the_last_rate_within_the_bound(server):
    url, handler = server
    fast = capacity(url, [b"{}"], 0.5, bound_ms=500.0, rates=[10.0, 20.0], say=lambda _: None)
    assert fast["rps"] == 20.0 and set(fast["tried"]) == {"10", "20"}
    handler.delay = 0.05  # every answer now takes longer than the bound
    slow = capacity(url, [b"{}"], 0.5, bound_ms=20.0, rates=[10.0, 20.0], say=lambda _: None)
    assert slow["rps"] is None and list(slow["tried"]) == ["10"]  # stops at the first breach


def test_memory_watch_samples_the_process_tree():
    with MemoryWatch(os.getpid(), every=0.05) as watch:
        time.sleep(0.2)
    figures = watch.summary()
    assert len(figures["rss_samples"]) >= 2 and figures["rss_start_mb"] > 10
    assert figures["rss_growth_pct"] is not None
