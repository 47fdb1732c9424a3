"""The Ray the agent trains on: the ``ray`` sub-model of Settings, and the connection to it.

With no address, training starts a private Ray in its own process on this machine's CPUs and
stops it afterwards. With one, it joins a running cluster (``ray start --head`` on one
machine, ``ray start --address`` on the others) and only disconnects at the end: the cluster
keeps running. Every node imports the code itself, so each needs the same ``pricing``
package, Python and Ray versions installed: no code is shipped to the workers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

log = logging.getLogger(__name__)

#: ``host:port`` of a head's GCS, or ``ray://host:port`` of its Ray Client server.
_ADDRESS = re.compile(r"^(?:ray://)?(?P<host>[^:/\s]+):(?P<port>\d+)$")

#: What the workers of a joined cluster need in their environment that a private Ray passes
#: them by inheritance: RLlib here is torch-only, so never load TensorFlow.
_WORKER_ENV = {"RLLIB_TEST_NO_TF_IMPORT": "1"}


class RayClusterError(ConnectionError):
    """The configured Ray cluster cannot be reached or joined."""


class RaySettings(BaseModel):
    """``PRICING_RAY__<FIELD>`` variables, a ``PRICING_RAY`` JSON object, or the flat
    ``PRICING_RAY_ADDRESS`` (an address alone: the other fields keep their defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str | None = Field(
        None,
        description="None = a private Ray in the training process on this machine's CPUs; "
        "'auto' = the cluster `ray start` runs on this machine (RAY_ADDRESS inside a Ray job); "
        "host:6379 = a cluster's head, from one of its nodes; ray://host:10001 = Ray Client.",
    )
    env_runners: int = Field(
        1, ge=0, description="Env runner actors sampling in parallel (0 = in the driver)."
    )
    envs_per_runner: int | None = Field(
        None,
        ge=1,
        description="Environments each env runner steps; None = the preset's (8; 2 quick).",
    )
    learners: int = Field(
        0, ge=0, description="Learner actors updating the policy (0 = in the driver)."
    )
    cpus_per_env_runner: int = Field(1, ge=1, description="CPUs each env runner reserves.")
    cpus_per_learner: int = Field(1, ge=1, description="CPUs each learner actor reserves.")
    connect_timeout: float = Field(
        10.0, gt=0, description="Seconds a cluster's head may take to answer before giving up."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        """The flat ``PRICING_RAY_ADDRESS`` arrives as the address alone; ``PRICING_RAY``
        (and what :meth:`Settings.as_environment` exports) as JSON text."""
        if isinstance(data, str):
            return json.loads(data) if data.lstrip().startswith("{") else {"address": data}
        return data

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is None or value == "auto" or _ADDRESS.match(value):
            return value
        raise ValueError(
            f"the Ray address must be 'auto', host:port or ray://host:port, got {value!r}"
        )

    @property
    def cpus(self) -> int:
        """CPUs the run's actors reserve (the driver, which samples or learns when there are
        no actors, reserves none)."""
        return self.env_runners * self.cpus_per_env_runner + self.learners * self.cpus_per_learner


def _check_reachable(address: str, timeout: float) -> None:
    """Fail fast, naming the address, when nothing listens there (Ray would keep retrying)."""
    match = _ADDRESS.match(address)
    if match is None:  # 'auto': Ray looks the cluster up itself, and says so when there is none
        return
    try:
        socket.create_connection((match["host"], int(match["port"])), timeout=timeout).close()
    except OSError as error:
        raise RayClusterError(
            f"no Ray cluster answers at {address} (PRICING_RAY__ADDRESS): {error}. Start one "
            "(`ray start --head`), or unset the address to train on a private Ray"
        ) from error


def _reason(error: BaseException) -> str:
    """Why Ray could not connect (an auth token missing, ...): it wraps the cause in generic
    errors and embeds its traceback in their text, the reason on the last line."""
    while error.__cause__ is not None:
        error = error.__cause__
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _start_private(cluster: RaySettings) -> None:
    import ray

    ray.init(
        address="local",  # a new Ray, whatever RAY_ADDRESS or a `ray start` here say
        # Logical CPUs: a private Ray may oversubscribe the machine rather than leave actors
        # waiting for CPUs that never come.
        num_cpus=max(os.cpu_count() or 1, cluster.cpus),
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )


def _join(cluster: RaySettings, address: str) -> None:
    import ray

    _check_reachable(address, cluster.connect_timeout)
    try:
        ray.init(
            address=address,
            runtime_env={"env_vars": _WORKER_ENV},
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, TimeoutError) as error:
        raise RayClusterError(
            f"could not join the Ray cluster at {address}: {_reason(error)}"
        ) from error
    available = ray.cluster_resources().get("CPU", 0.0)
    if cluster.cpus > available:
        log.warning(
            "training asks for %d CPUs, the Ray cluster at %s has %g: its actors wait until "
            "nodes join",
            cluster.cpus,
            address,
            available,
        )


@contextmanager
def ray_connection(cluster: RaySettings) -> Iterator[None]:
    """Ray for the block: the configured cluster joined, or a private Ray started; a Ray the
    caller already connected is used as it is and left connected.

    On leaving, a joined cluster is only disconnected from; a private Ray is stopped.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    try:
        if cluster.address is None:
            _start_private(cluster)
        else:
            _join(cluster, cluster.address)
        yield
    finally:
        ray.shutdown()  # for a joined cluster this only disconnects: the cluster runs on
