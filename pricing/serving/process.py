"""Start and stop a real ``bentoml serve`` process (benchmarks, integration tests)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pricing.settings import Settings

NATIVE_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bentoml serve exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"service at {url} not ready after {timeout:.0f}s; see {log}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a process started in its own session, and its children (TERM, then KILL)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def running_service(
    target: str,
    env: Mapping[str, str],
    log: Path,
    cpus: str | None = None,
    timeout: float = 120.0,
) -> Iterator[str]:
    """``bentoml serve TARGET`` on a free port (pinned to ``cpus`` with taskset); its URL."""
    port = free_port()
    command = [sys.executable, "-m", "bentoml", "serve", target, "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    if cpus is not None and shutil.which("taskset"):
        command = ["taskset", "-c", cpus, *command]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, timeout, log)
        yield url
    finally:
        stop_process(process)


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment a ``bentoml serve`` process needs to serve this home as configured."""
    env = dict(os.environ) | settings.as_environment()
    env["BENTOML_HOME"] = str(settings.bentoml_home)  # bentoml's own CLI reads its store here
    for name in NATIVE_THREADS:  # one worker per core: native pools only spin against it
        env.setdefault(name, "1")
    return env
