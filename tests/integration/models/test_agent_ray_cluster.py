"""The agent trains on a Ray cluster started apart from it (``ray start --head``), joined by
configuration alone (``PRICING_RAY__ADDRESS``), with its env runner and learner on the
cluster; training only disconnects, and the cluster runs on."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from pricing.processes import free_port
from tests.services import port_open

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass(frozen=True)
class RayHead:
    address: str
    temp_dir: Path
    process: subprocess.Popen[bytes]
    auth: dict[str, str]


def _stop(process: subprocess.Popen[bytes], temp_dir: Path) -> None:
    """Stop this head alone (`ray stop` would stop every Ray on the machine): ``--block``
    takes its processes down on SIGTERM; any left behind are found by the temp dir."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    for proc in psutil.process_iter(["cmdline"]):
        if str(temp_dir) in " ".join(proc.info["cmdline"] or []):
            with contextlib.suppress(psutil.Error):
                proc.kill()
    shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    """A two-CPU Ray head of its own: its ports, and a temp dir short enough for Ray's unix
    sockets (under 107 characters), in /tmp rather than a long TMPDIR."""
    ray_cli = Path(sys.executable).parent / "ray"
    if not ray_cli.exists():
        pytest.fail(f"no `ray` command beside {sys.executable}: install the project (make install)")
    temp_dir = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))
    port = free_port()
    log = temp_dir / "head.log"
    # Token authentication, `ray start`'s default and an operator cluster's: a token of the
    # fixture's own, handed to the driver as an operator would (RAY_AUTH_TOKEN_PATH).
    token = temp_dir / "auth_token"
    token.write_text(secrets.token_hex(32))
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
    env = {**os.environ, **auth, "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
    command = [str(ray_cli), "start", "--head", "--block", "--port", str(port)]
    command += ["--ray-client-server-port", str(free_port()), "--num-cpus", "2"]
    command += ["--temp-dir", str(temp_dir), "--disable-usage-stats", "--include-dashboard=false"]
    # A small object store (the tiny agent needs little) beside the suite's other Rays, and
    # time for workers to register while the suite loads both cores: an env runner once died
    # before it started under `make test`, never alone.
    command += ["--object-store-memory", str(200 * 2**20)]
    env["RAY_worker_register_timeout_seconds"] = "300"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while b"Ray runtime started" not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            _stop(process, temp_dir)
            pytest.fail(f"`ray start --head` did not start a head on port {port}:\n{tail}")
        time.sleep(0.5)
    try:
        yield RayHead(f"127.0.0.1:{port}", temp_dir, process, auth)
    finally:
        _stop(process, temp_dir)


def _head_logs(head: RayHead) -> str:
    logs = head.temp_dir / "session_latest" / "logs"
    parts = [
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in [logs / "raylet.out", *sorted(logs.glob("worker-*.err"))[-3:]]
        if path.exists()
    ]
    return "\n".join(parts)


#: The training driver, in a process of its own: Ray fixes a process's authentication mode at
#: its first use, so a pytest worker that ran a private Ray before could not join a head that
#: disagrees. It reports what it saw while connected, between iterations.
DRIVER = """
import json, os
import ray
from pricing.settings import get_settings
from pricing.training import train_agent

seen = []

def progress(message):
    context = ray.get_runtime_context()
    free, total = ray.available_resources(), ray.cluster_resources()
    seen.append([context.gcs_address, free.get("CPU", 0.0), total.get("CPU", 0.0)])

saved = train_agent(get_settings(), quick=True, seed=0, progress=progress)
print(json.dumps({
    "seen": seen,
    "address": saved.metadata["parameters"]["ray"]["address"],
    "pid": os.getpid(),
    "connected_after": ray.is_initialized(),
}))
"""


def test_agent_trains_on_a_cluster_joined_by_configuration(ray_head, tmp_path):
    env = {
        **os.environ,
        **ray_head.auth,
        "PRICING_HOME": str(tmp_path / "home"),
        "PRICING_RAY__ADDRESS": ray_head.address,
        "PRICING_RAY__LEARNERS": "1",  # with the env runner: both head CPUs
    }
    done = subprocess.run(
        [sys.executable, "-c", DRIVER], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:  # say what the head saw: its raylet log and worker errors
        raise AssertionError(
            f"training on the head failed:\n{done.stderr[-3000:]}\n{_head_logs(ray_head)}"
        )
    report = json.loads(done.stdout.strip().splitlines()[-1])

    port = ray_head.address.rsplit(":", 1)[1]
    assert report["seen"] and all(gcs.rsplit(":", 1)[1] == port for gcs, _, _ in report["seen"])
    assert all((free, total) == (0.0, 2.0) for _, free, total in report["seen"])  # both CPUs
    assert report["address"] == ray_head.address
    logs = ray_head.temp_dir / "session_latest" / "logs"
    assert list(logs.glob(f"python-core-driver-*_{report['pid']}.log")), "no driver job here"
    # Disconnected, and the cluster we joined runs on.
    assert report["connected_after"] is False
    assert ray_head.process.poll() is None
    assert port_open("127.0.0.1", int(port))
