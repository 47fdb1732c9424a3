"""A Redis Cluster as the online store by configuration alone: three private cluster nodes, a
home switched onto them with PRICING_ONLINE_STORE, the same online features as SQLite gave,
its keys spread over the nodes, and a whole reload (Feast's SCAN over every node) reads the
same again."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import redis

from tests.integration.commands import cli, cli_json, operator_env, port_free

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NODES = 3
PRODUCTS = [f"P{i:04d}" for i in range(1, 9)]


def _binaries() -> tuple[str, str]:
    """redis-server and redis-cli, or fail saying how to install them."""
    server, client = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or client is None:
        pytest.fail(
            "no redis-server or redis-cli for a Redis Cluster: apt-get install redis-server"
        )
    return server, client


def _node_ports(count: int) -> list[int]:
    """Free ports whose cluster bus ports (10000 above, Redis' rule) are free too, both below
    the kernel's ephemeral range (32768-60999): another test's server stopped for a while
    (test_store_outage's Redis) must not find its port taken by a node here when it comes
    back, nor its clients reach a cluster node meanwhile, as a port from ``free_port`` could."""
    rng = random.Random()
    taken: set[int] = set()
    ports: list[int] = []
    while len(ports) < count:
        port = rng.randrange(20_000, 22_700)
        if not {port, port + 10_000} & taken and port_free(port) and port_free(port + 10_000):
            ports.append(port)
            taken |= {port, port + 10_000}
    return ports


def _answers(port: int) -> bool:
    """Whether a Redis listens on ``port`` (PING)."""
    with redis.Redis(port=port, socket_timeout=2) as node:
        return bool(node.ping())


def _cluster_ok(port: int) -> bool:
    """Whether the node on ``port`` sees every slot served (``cluster_state:ok``)."""
    with redis.Redis(port=port, socket_timeout=2) as node:
        return bool(node.cluster("info")["cluster_state"] == "ok")


def _keys_per_node(ports: list[int]) -> list[int]:
    """DBSIZE of each node: the keys the slots it serves hold."""
    sizes = []
    for port in ports:
        with redis.Redis(port=port) as node:
            sizes.append(int(node.dbsize()))
    return sizes


def _wait(
    check: Callable[[], object], what: str, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Until ``check`` is true (Redis errors count as false), or fail naming ``what``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"{what}: the process exited ({process.returncode})")
        try:
            if check():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} not seen within 30s")


def _start_node(server: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """One cluster-enabled redis-server, without persistence, logging into ``workdir``."""
    workdir.mkdir()
    options = {"port": str(port), "bind": "127.0.0.1", "dir": str(workdir), "save": ""}
    options |= {"appendonly": "no", "cluster-enabled": "yes", "cluster-config-file": "nodes.conf"}
    argv = [server, *[arg for name, value in options.items() for arg in (f"--{name}", value)]]
    with open(workdir / "redis.log", "wb") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster_ports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[int]]:
    """Ports of a private three-master Redis Cluster on 127.0.0.1, stopped afterwards."""
    server, client = _binaries()
    root = tmp_path_factory.mktemp("redis-cluster")
    ports = _node_ports(NODES)
    nodes = [_start_node(server, port, root / str(port)) for port in ports]
    try:
        for port, node in zip(ports, nodes, strict=True):
            _wait(partial(_answers, port), f"redis-server on {port}", node)
        addresses = [f"127.0.0.1:{port}" for port in ports]
        create = [client, "--cluster", "create", *addresses, "--cluster-replicas", "0"]
        done = subprocess.run(
            [*create, "--cluster-yes"], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"redis-cli --cluster create:\n{done.stdout}{done.stderr}"
        for port in ports:
            _wait(partial(_cluster_ok, port), f"cluster_state:ok on {port}")
        yield ports
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            node.wait(timeout=10)


def online(env: dict[str, str]) -> list[dict]:
    """`pricing store online --json` of every product of the home."""
    return cli_json(env, "store", "online", *PRODUCTS)["features"]


def test_cluster_online_store_serves_what_sqlite_does(tmp_path: Path, cluster_ports: list[int]):
    home = tmp_path / "home"
    lite = operator_env(home)
    cli(lite, "data", "generate", "--products", str(len(PRODUCTS)), "--days", "60", "--seed", "5")
    cli(lite, "features", "build")
    cli(lite, "store", "apply")
    cli(lite, "store", "materialize")
    expected = online(lite)

    seeds = ",".join(f"127.0.0.1:{port}" for port in cluster_ports[:2])  # the third is found
    backend = {"type": "redis", "url": f"redis://{seeds}/0", "cluster": True}
    clustered = operator_env(home, PRICING_ONLINE_STORE=json.dumps(backend))
    loaded = cli_json(clustered, "store", "materialize")
    assert loaded["online_store"] == "redis" and loaded["full"] == loaded["views"] != []
    assert online(clustered) == expected

    sizes = _keys_per_node(cluster_ports)
    assert sum(size > 0 for size in sizes) > 1, f"keys on one node only: {sizes}"
    reloaded = cli_json(clustered, "store", "materialize", "--full")
    assert reloaded["full"] == loaded["views"]
    assert online(clustered) == expected
    assert _keys_per_node(cluster_ports) == sizes
