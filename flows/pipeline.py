"""The platform's stages as Prefect flows, and ``pricing_pipeline`` that runs them in order.

Flows stay thin: each task calls one ``pricing.*`` function and returns a small JSON-able
summary for the Prefect UI; the stage order is ``pricing.pipeline``'s. Every flow and task
takes the home as a parameter (None: the process's ``PRICING_HOME``), so a run names the
home it worked on. I/O tasks retry; training tasks are cached on their inputs (home,
snapshot, seed, size and the code of ``pricing/``), so re-running the pipeline on an
unchanged snapshot with unchanged code reuses the stored models instead of retraining.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import INPUTS, TASK_SOURCE

from pricing.pipeline import outputs_to_publish, run_pipeline
from pricing.settings import Settings, get_settings
from pricing_flows.stream import stream_consumer


def _transient(task: Any, run: Any, state: Any) -> bool:
    """Retry I/O hiccups (files, sockets, Redis), never bad input or a bug."""
    from redis.exceptions import ClusterError as RedisClusterDown
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow

    error = state.result(raise_on_failure=False)
    if isinstance(error, FileNotFoundError):
        return False
    return isinstance(error, OSError | TimeoutError | RedisDown | RedisSlow | RedisClusterDown)


IO: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 3, "retry_condition_fn": _transient}
TRAINING_CACHE: dict[str, Any] = {
    "cache_policy": INPUTS + TASK_SOURCE,
    "cache_expiration": timedelta(days=7),
}


def _settings(home: str | None) -> Settings:
    """This process's settings, for the home the run names."""
    settings = get_settings()
    return settings if home is None else settings.for_home(home)


def _home(home: str | None) -> str:
    return str(_settings(home).home_dir)


def _say(message: str) -> None:
    get_run_logger().info(message)


# ------------------------------------------------------------------------------- tasks
@task(name="ingest", **IO)
def ingest_task(home: str, source: str | None = None, dataset: str | None = None) -> dict[str, Any]:
    from pricing.data.adapters import ingest_dataset
    from pricing.data.home import HomeData
    from pricing.data.ingest import ingest_file

    settings = _settings(home)
    data = HomeData(settings.data_dir)
    if dataset:
        return ingest_dataset(data, dataset).as_dict()
    if source:
        return ingest_file(data, source, s3_endpoint_url=settings.s3_endpoint_url).as_dict()
    raise ValueError("ingest needs a source path or a dataset name")


@task(name="build-features", **IO)
def build_features_task(home: str) -> dict[str, Any]:
    from pricing.pipeline import LocalStages

    return LocalStages(_settings(home)).build_features()


@task(name="materialize", retries=3, retry_delay_seconds=5, retry_condition_fn=_transient)
def materialize_task(home: str) -> dict[str, Any]:
    from pricing.pipeline import LocalStages

    return LocalStages(_settings(home)).materialize()


@task(name="snapshot", **IO)
def snapshot_task(home: str) -> str:
    from pricing.store.ops import apply_and_snapshot

    return apply_and_snapshot(_settings(home))


@task(name="train", task_run_name="train-{kind}", **TRAINING_CACHE)
def train_task(
    home: str,
    kind: str,
    snapshot: str,
    seed: int,
    quick: bool,
    code: str,
    agent_iterations: int | None = None,
) -> dict[str, str]:
    """One model of the trio; ``code`` (the fingerprint of ``pricing/``) keys the cache."""
    from pricing.training import train_model

    saved = train_model(
        _settings(home), kind, snapshot, quick, seed, _say, agent_iterations=agent_iterations
    )
    return {"tag": saved.tag, "sha256": saved.sha256}


@task(name="publish-model-outputs", **IO)
def publish_task(home: str, snapshot: str, demand_tag: str, elasticity_tag: str) -> None:
    from pricing.training import publish

    publish(_settings(home), snapshot, demand_tag, elasticity_tag)


@task(name="evaluate")
def evaluate_task(home: str) -> dict[str, float]:
    from pricing.promotion import evaluate_challenger

    return evaluate_challenger(_settings(home))


@task(name="promote")
def promote_task(home: str, force: bool = False) -> dict[str, Any]:
    from pricing.promotion import promote

    return promote(_settings(home), force, progress=_say)


@task(name="build-bento", **IO)
def build_bento_task(home: str) -> str:
    from pricing_bentos.build import build_bento

    return build_bento(_settings(home))


class PrefectStages:
    """The pipeline's stages as this module's tasks (retries, caches, one run per stage)."""

    def __init__(self, home: str, quick: bool, agent_iterations: int | None) -> None:
        from pricing.registry import source_fingerprint

        self.home, self.quick, self.agent_iterations = home, quick, agent_iterations
        self.seed, self.code = _settings(home).seed, source_fingerprint()

    def build_features(self) -> dict[str, Any]:
        return build_features_task(self.home)

    def materialize(self) -> dict[str, Any]:
        return materialize_task(self.home)

    def snapshot(self) -> str:
        return snapshot_task(self.home)

    def train(self, kind: str, snapshot: str) -> dict[str, str]:
        iterations = self.agent_iterations if kind == "agent" else None
        return train_task(self.home, kind, snapshot, self.seed, self.quick, self.code, iterations)

    def publish(self, snapshot: str, demand_tag: str, elasticity_tag: str) -> None:
        publish_task(self.home, snapshot, demand_tag, elasticity_tag)

    def promote(self) -> dict[str, Any]:
        return promote_task(self.home)


# ------------------------------------------------------------------------------- flows
@flow(name="ingest")
def ingest(
    home: str | None = None, source: str | None = None, dataset: str | None = None
) -> dict[str, Any]:
    return ingest_task(_home(home), source, dataset)


@flow(name="build-features")
def build_features(home: str | None = None) -> dict[str, Any]:
    return build_features_task(_home(home))


@flow(name="materialize")
def materialize(home: str | None = None) -> dict[str, Any]:
    """Incremental: each view resumes where it stopped, up to ``PRICING_AS_OF``."""
    return materialize_task(_home(home))


@flow(name="snapshot")
def snapshot(home: str | None = None) -> str:
    return snapshot_task(_home(home))


def _train_one(home: str | None, kind: str, snapshot_id: str | None, quick: bool) -> dict[str, str]:
    """One model; its outputs are published once the other kind of the pair exists too."""
    stages = PrefectStages(_home(home), quick, None)
    snap = snapshot_id or stages.snapshot()
    result = stages.train(kind, snap)
    if kind != "agent":
        ready = outputs_to_publish(_settings(home), **{f"{kind}_tag": result["tag"]})
        if ready is not None:
            stages.publish(snap, *ready)
    return result


@flow(name="train-demand")
def train_demand(
    home: str | None = None, snapshot_id: str | None = None, quick: bool = False
) -> dict[str, str]:
    return _train_one(home, "demand", snapshot_id, quick)


@flow(name="train-elasticity")
def train_elasticity(
    home: str | None = None, snapshot_id: str | None = None, quick: bool = False
) -> dict[str, str]:
    return _train_one(home, "elasticity", snapshot_id, quick)


@flow(name="train-agent")
def train_agent(
    home: str | None = None, snapshot_id: str | None = None, quick: bool = False
) -> dict[str, str]:
    return _train_one(home, "agent", snapshot_id, quick)


@flow(name="evaluate")
def evaluate(home: str | None = None) -> dict[str, float]:
    """The challenger scored exactly as promotion scores it (same seed and scenarios)."""
    return evaluate_task(_home(home))


@flow(name="promote")
def promote(home: str | None = None, force: bool = False) -> dict[str, Any]:
    return promote_task(_home(home), force)


@flow(name="build-bento")
def build_bento(home: str | None = None) -> str:
    return build_bento_task(_home(home))


@flow(name="pricing-pipeline")
def pricing_pipeline(
    home: str | None = None,
    source: str | None = None,
    dataset: str | None = None,
    quick: bool = False,
    bento: bool = True,
    agent_iterations: int | None = None,
) -> dict[str, Any]:
    """Ingest (when given a source) -> ``pricing.pipeline.run_pipeline``: features ->
    materialize -> snapshot -> the trio -> publish -> promote if no worse -> bento."""
    where = _home(home)
    ingested = ingest_task(where, source, dataset) if source or dataset else None
    summary = run_pipeline(
        PrefectStages(where, quick, agent_iterations),
        build_bento=(lambda: build_bento_task(where)) if bento else None,
    )
    return {"ingest": ingested, **summary} if ingested else summary


@task(name="monitor-window", **IO)
def monitor_task(home: str) -> dict[str, Any]:
    from pricing.monitoring.run import run_monitor
    from pricing_monitoring.reports import EvidentlyReporter

    return run_monitor(_settings(home), EvidentlyReporter(), progress=_say).summary()


@flow(name="monitor")
def monitor(
    home: str | None = None, retrain: bool | None = None, quick: bool = False
) -> dict[str, Any]:
    """Drift and forecast-quality reports for the current window; when drift is flagged and
    retraining is on (``retrain``, default PRICING_MONITOR__RETRAIN_ON_DRIFT), the retraining
    pipeline runs as a subflow (``quick``: tiny models), and its promotion gate decides whether
    the new models serve."""
    where = _home(home)
    summary = monitor_task(where)
    for reason in summary["reasons"]:
        _say(f"drift: {reason}")
    wanted = _settings(home).monitor.retrain_on_drift if retrain is None else retrain
    if summary["drift"] and wanted:
        _say("drift flagged: retraining; the promotion gate decides what serves")
        result = pricing_pipeline(home=where, quick=quick)
        summary["retrain"] = {
            "snapshot": result["snapshot"],
            "promotion": result["promotion"],
            "bento": result.get("bento"),
        }
    elif summary["drift"]:
        _say("drift flagged; retraining is off (PRICING_MONITOR__RETRAIN_ON_DRIFT=false)")
    return summary


FLOWS = {
    "pipeline": pricing_pipeline,
    "ingest": ingest,
    "build_features": build_features,
    "materialize": materialize,
    "snapshot": snapshot,
    "train_demand": train_demand,
    "train_elasticity": train_elasticity,
    "train_agent": train_agent,
    "evaluate": evaluate,
    "promote": promote,
    "build_bento": build_bento,
    "stream_consumer": stream_consumer,
    "monitor": monitor,
}
