"""The ``bentoml serve`` process of a home: its environment, its command line, and a running
one for benchmarks and tests (supervised as every child is: :mod:`pricing.processes`)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pricing.processes import free_port, start, stop_process
from pricing.settings import Settings

NATIVE_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Settings a printed command line never spells out: whole variables, and a field inside one.
SECRETS = frozenset({"PRICING_API_KEY"})
SECRET_FIELDS = {"PRICING_KAFKA": "sasl_password"}


def serve_command(target: str, host: str, port: int) -> list[str]:
    """``bentoml serve TARGET`` with this interpreter's BentoML."""
    command = [sys.executable, "-m", "bentoml", "serve", target, "--host", host]
    return [*command, "--port", str(port)]


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


@contextmanager
def service_process(
    target: str,
    env: Mapping[str, str],
    log: Path,
    cpus: str | None = None,
    timeout: float = 120.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``bentoml serve TARGET`` on a free port (pinned to ``cpus`` with taskset): its URL and
    its process (the root of the server's process tree, for memory readings)."""
    command = serve_command(target, "127.0.0.1", free_port())
    if cpus is not None and shutil.which("taskset"):
        command = ["taskset", "-c", cpus, *command]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = start(command, env, out)
    url = f"http://127.0.0.1:{command[-1]}"
    try:
        wait_ready(url, process, timeout, log)
        yield url, process
    finally:
        stop_process(process)


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment a ``bentoml serve`` process needs to serve this home as configured."""
    env = dict(os.environ) | settings.as_environment()
    env["BENTOML_HOME"] = str(settings.bentoml_home)  # bentoml's own CLI reads its store here
    for name in NATIVE_THREADS:  # one worker per core: native pools only spin against it
        env.setdefault(name, "1")
    return env


def serve_command_line(settings: Settings, target: str) -> str:
    """A shell line that serves ``target`` on this home as configured, from any directory:
    ``BENTOML_HOME``, ``PRICING_HOME`` and every other setting that is not the default in
    front, paths absolute. Secrets are never written out: the line passes on the shell's own
    ``PRICING_API_KEY`` (and Kafka SASL password) instead."""
    defaults = Settings.model_construct().as_environment()
    chosen = settings.as_environment()
    values = settings.model_dump()
    env = {"BENTOML_HOME": str(settings.bentoml_home), "PRICING_HOME": chosen["PRICING_HOME"]}
    passed = []  # secret variables, referenced as "$NAME"
    for name, value in chosen.items():
        field = name.removeprefix("PRICING_").lower()
        if name in env or name == "PRICING_MODEL_STORE" or value == defaults.get(name):
            continue  # the model store is BENTOML_HOME
        if name in SECRETS:
            passed.append(name)
            continue
        if (inner := SECRET_FIELDS.get(name)) and inner in (data := json.loads(value)):
            passed.append(f"{name}__{inner.upper()}")  # pydantic-settings merges it back
            value = json.dumps({key: v for key, v in data.items() if key != inner})
        path = values.get(field)
        env[name] = str(path.expanduser().resolve()) if isinstance(path, Path) else value
    bentoml = shutil.which("bentoml")
    here = Path(sys.executable).parent / "bentoml"
    program = "bentoml" if bentoml and Path(bentoml) == here else f"{sys.executable} -m bentoml"
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    assignments += "".join(f' {name}="${name}"' for name in passed)
    return f"{assignments} {program} serve {shlex.quote(target)}"
