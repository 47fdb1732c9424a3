"""The platform's stages as Prefect flows, and ``pricing_pipeline`` that runs them in order.

Flows stay thin: settings come from the environment (``PRICING_*``), every task calls one
``pricing.*`` function and returns a small JSON-able summary for the Prefect UI. I/O tasks
retry; training tasks are cached on their inputs (home, snapshot, seed, size), so re-running
the pipeline on an unchanged snapshot reuses the stored models instead of retraining.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import INPUTS, TASK_SOURCE

from pricing.settings import Settings, get_settings


def _transient(task: Any, run: Any, state: Any) -> bool:
    """Retry I/O hiccups (files, sockets, Redis), never bad input or a bug."""
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow

    error = state.result(raise_on_failure=False)
    if isinstance(error, FileNotFoundError):
        return False
    return isinstance(error, OSError | TimeoutError | RedisDown | RedisSlow)


IO = {"retries": 2, "retry_delay_seconds": 3, "retry_condition_fn": _transient}
TRAINING_CACHE = {"cache_policy": INPUTS + TASK_SOURCE, "cache_expiration": timedelta(days=7)}


def _settings() -> Settings:
    settings = get_settings()
    settings.export_environment()
    return settings


def _say(message: str) -> None:
    get_run_logger().info(message)


# ------------------------------------------------------------------------------- tasks
@task(name="ingest", **IO)
def ingest_task(source: str | None = None, dataset: str | None = None) -> dict[str, Any]:
    from pricing.data.adapters import DATASETS, default_datasets_dir
    from pricing.data.home import HomeData
    from pricing.data.ingest import ingest_file, store_batch

    settings = _settings()
    home = HomeData(settings.data_dir)
    if dataset:
        batch = DATASETS[dataset](default_datasets_dir())
        return store_batch(home, batch, source=f"dataset:{dataset}").as_dict()
    if source:
        return ingest_file(home, source, s3_endpoint_url=settings.s3_endpoint_url).as_dict()
    raise ValueError("ingest needs a source path or a dataset name")


@task(name="build-features", **IO)
def build_features_task() -> dict[str, Any]:
    from pricing.features.build import build_features

    result = build_features(_settings())
    return {"grain": result.grain, "rows": result.rows}


@task(name="materialize", retries=3, retry_delay_seconds=5, retry_condition_fn=_transient)
def materialize_task() -> dict[str, Any]:
    from pricing.store import ops

    settings = _settings()
    applied = ops.apply(settings)
    done = ops.materialize(settings)
    return {"applied": len(applied), "views": done.views, "end": done.end.isoformat()}


@task(name="snapshot", **IO)
def snapshot_task() -> str:
    from pricing.store import ops
    from pricing.store.snapshots import create_snapshot

    settings = _settings()
    ops.apply(settings)
    return create_snapshot(settings).snapshot


@task(name="train-demand", **TRAINING_CACHE)
def train_demand_task(home: str, snapshot: str, seed: int, quick: bool) -> dict[str, str]:
    from pricing.training import train_demand

    saved = train_demand(_settings(), snapshot, quick, seed)
    return {"tag": saved.tag, "sha256": saved.sha256}


@task(name="train-elasticity", **TRAINING_CACHE)
def train_elasticity_task(home: str, snapshot: str, seed: int, quick: bool) -> dict[str, str]:
    from pricing.training import train_elasticity

    saved = train_elasticity(_settings(), snapshot, quick, seed)
    return {"tag": saved.tag, "sha256": saved.sha256}


@task(name="train-agent", **TRAINING_CACHE)
def train_agent_task(
    home: str, snapshot: str, seed: int, quick: bool, iterations: int | None = None
) -> dict[str, str]:
    from pricing.training import train_agent

    saved = train_agent(_settings(), quick, seed, snapshot, progress=_say, iterations=iterations)
    return {"tag": saved.tag, "sha256": saved.sha256}


@task(name="publish-model-outputs", **IO)
def publish_task(snapshot: str, demand_tag: str, elasticity_tag: str) -> None:
    from pricing.training import publish

    publish(_settings(), snapshot, demand_tag, elasticity_tag)


def _latest(kind: str) -> str:
    from pricing.registry import get_model

    return get_model(_settings(), kind).tag


@task(name="evaluate")
def evaluate_task() -> dict[str, float]:
    from pricing.promotion import challenger_set, evaluate_set

    settings = _settings()
    return evaluate_set(settings, challenger_set(settings), settings.promote_scenarios)


@task(name="promote")
def promote_task(force: bool = False) -> dict[str, Any]:
    from pricing.promotion import Thresholds, promote

    settings = _settings()
    limits = Thresholds(settings.promote_policy_points, settings.promote_forecast_ratio)
    return promote(settings, force, limits, settings.promote_scenarios, settings.seed, _say)


@task(name="build-bento", **IO)
def build_bento_task() -> str:
    from pricing.serving.bento import build_bento

    return build_bento(_settings())


# ------------------------------------------------------------------------------- flows
@flow(name="ingest")
def ingest(source: str | None = None, dataset: str | None = None) -> dict[str, Any]:
    return ingest_task(source, dataset)


@flow(name="build-features")
def build_features() -> dict[str, Any]:
    return build_features_task()


@flow(name="materialize")
def materialize() -> dict[str, Any]:
    """Incremental: each view resumes where it stopped, up to ``PRICING_AS_OF``."""
    return materialize_task()


@flow(name="snapshot")
def snapshot() -> str:
    return snapshot_task()


def _snapshot_or_new(snapshot_id: str | None) -> str:
    return snapshot_id or snapshot_task()


def _publish_when_complete(
    snap: str, demand: str | None = None, elasticity: str | None = None
) -> None:
    """Publish model outputs once both kinds exist (the other one: its latest)."""
    from pricing.registry import list_models

    settings = _settings()
    if demand is None and not list_models(settings, "demand"):
        return
    if elasticity is None and not list_models(settings, "elasticity"):
        return
    publish_task(snap, demand or _latest("demand"), elasticity or _latest("elasticity"))


@flow(name="train-demand")
def train_demand(snapshot_id: str | None = None, quick: bool = False) -> dict[str, str]:
    settings = _settings()
    snap = _snapshot_or_new(snapshot_id)
    result = train_demand_task(str(settings.home_dir), snap, settings.seed, quick)
    _publish_when_complete(snap, demand=result["tag"])
    return result


@flow(name="train-elasticity")
def train_elasticity(snapshot_id: str | None = None, quick: bool = False) -> dict[str, str]:
    settings = _settings()
    snap = _snapshot_or_new(snapshot_id)
    result = train_elasticity_task(str(settings.home_dir), snap, settings.seed, quick)
    _publish_when_complete(snap, elasticity=result["tag"])
    return result


@flow(name="train-agent")
def train_agent(snapshot_id: str | None = None, quick: bool = False) -> dict[str, str]:
    settings = _settings()
    return train_agent_task(
        str(settings.home_dir), _snapshot_or_new(snapshot_id), settings.seed, quick
    )


@flow(name="evaluate")
def evaluate() -> dict[str, float]:
    return evaluate_task()


@flow(name="promote")
def promote(force: bool = False) -> dict[str, Any]:
    return promote_task(force)


@flow(name="build-bento")
def build_bento() -> str:
    return build_bento_task()


@flow(name="pricing-pipeline")
def pricing_pipeline(
    source: str | None = None,
    dataset: str | None = None,
    quick: bool = False,
    bento: bool = True,
    agent_iterations: int | None = None,
) -> dict[str, Any]:
    """Ingest (when given a source) -> features -> materialize -> snapshot -> train the trio
    -> publish model outputs -> promote if no worse -> build the bento."""
    settings = _settings()
    home, seed = str(settings.home_dir), settings.seed
    summary: dict[str, Any] = {}
    if source or dataset:
        summary["ingest"] = ingest_task(source, dataset)
    summary["features"] = build_features_task()
    summary["materialize"] = materialize_task()
    snap = summary["snapshot"] = snapshot_task()
    models = summary["models"] = {
        "elasticity": train_elasticity_task(home, snap, seed, quick),
        "demand": train_demand_task(home, snap, seed, quick),
        "agent": train_agent_task(home, snap, seed, quick, agent_iterations),
    }
    publish_task(snap, models["demand"]["tag"], models["elasticity"]["tag"])
    decision = promote_task()
    summary["promotion"] = {k: decision.get(k) for k in ("promoted", "reasons", "prod_after")}
    if bento and decision.get("prod_after"):
        summary["bento"] = build_bento_task()
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
}
