"""What the operator tests share: the command line as a process, ports, stopping by signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from pricing.processes import start

T = TypeVar("T")

#: Every long-running command must be gone, its ports free, this long after a stop signal.
STOP_WITHIN = 10.0


def operator_env(home: Path, **extra: str) -> dict[str, str]:
    """The shell of an operator of ``home``: none of the developer's PRICING_/PREFECT_ set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRICING_", "PREFECT_"))}
    return env | {"PRICING_HOME": str(home), "BENTOML_HOME": str(home / "bentoml")} | extra


def run_on(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``pricing ARGS`` as an operator of ``home`` runs it, from the folder beside it; the
    finished process whatever its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "pricing.cli.main", *args],
        env=operator_env(home), cwd=home.parent, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def cli(env: Mapping[str, str], *args: str, timeout: float = 600) -> str:
    """``pricing ARGS`` as a process; its stdout (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "pricing.cli.main", *args],
        env=dict(env), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, f"pricing {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def cli_json(env: Mapping[str, str], *args: str) -> dict[str, Any]:
    """``pricing ARGS --json``: the JSON object on its last line."""
    return dict(json.loads(cli(env, *args, "--json").strip().splitlines()[-1]))


def command(env: Mapping[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """A long-running ``pricing ARGS`` (its own session, so a failing test can clean up)."""
    with open(log, "wb") as out:
        return start([sys.executable, "-m", "pricing.cli.main", *args], env, out)


def wait_for(check: Callable[[], T | None], timeout: float, what: str, log: Path) -> T:
    """The first non-None value of ``check`` (errors count as None) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (value := check()) is not None:
                return value
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not seen within {timeout:.0f}s; log:\n{log.read_text()[-3000:]}")


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:port (so a new server could bind it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def stop_by_signal(
    process: subprocess.Popen[bytes], signum: int = signal.SIGTERM, port: int | None = None
) -> float:
    """Send ``signum`` to the command alone (as ``kill PID`` or Ctrl-C does) and wait for it
    to exit, and ``port`` to be free, within :data:`STOP_WITHIN`; the seconds it took."""
    began = time.monotonic()
    process.send_signal(signum)
    process.wait(timeout=STOP_WITHIN)
    while port is not None and not port_free(port) and time.monotonic() - began < STOP_WITHIN:
        time.sleep(0.1)
    took = time.monotonic() - began
    assert port is None or port_free(port), f"port {port} still taken {took:.1f}s after the stop"
    assert took <= STOP_WITHIN
    return took
