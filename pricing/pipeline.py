"""The platform's pipeline, written once: the order of its stages and the rules between them.

The Prefect flow (``pricing flows run pipeline``) and ``pricing train`` run these same
stages; each caller says how a stage runs (a Prefect task with retries and caching, or a
plain call in this process) through :class:`Stages`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pricing.settings import Settings

#: The trio, in training order: the price response first (cheapest, and the agent's
#: environment reads elasticities), the forecaster, then the agent.
TRAINING_ORDER = ("elasticity", "demand", "agent")

Progress = Callable[[str], None]


class Stages(Protocol):
    """How each stage runs; every method returns a small JSON-able summary."""

    def build_features(self) -> dict[str, Any]: ...

    def materialize(self) -> dict[str, Any]: ...

    def snapshot(self) -> str: ...

    def train(self, kind: str, snapshot: str) -> dict[str, str]: ...

    def publish(self, snapshot: str, demand_tag: str, elasticity_tag: str) -> None: ...

    def promote(self) -> dict[str, Any]: ...


def run_pipeline(
    stages: Stages,
    features: bool = True,
    snapshot: str | None = None,
    build_bento: Callable[[], str] | None = None,
) -> dict[str, Any]:
    """Features -> materialize -> snapshot -> the trio -> publish -> promote -> bento.

    ``features=False`` starts from the features already in the store (``pricing train``);
    a given ``snapshot`` skips taking a new one. Model outputs are published once the whole
    trio is trained, and the bento is built only when there is a prod set to pin.
    """
    summary: dict[str, Any] = {}
    if features:
        summary["features"] = stages.build_features()
        summary["materialize"] = stages.materialize()
    snap = summary["snapshot"] = snapshot or stages.snapshot()
    models = summary["models"] = {kind: stages.train(kind, snap) for kind in TRAINING_ORDER}
    stages.publish(snap, models["demand"]["tag"], models["elasticity"]["tag"])
    decision = stages.promote()
    summary["promotion"] = {k: decision.get(k) for k in ("promoted", "reasons", "prod_after")}
    if build_bento is not None and decision.get("prod_after"):
        summary["bento"] = build_bento()
    return summary


def outputs_to_publish(
    settings: Settings, demand_tag: str | None = None, elasticity_tag: str | None = None
) -> tuple[str, str] | None:
    """The (demand, elasticity) tags to publish after training one of them: the other one's
    latest; None while either kind has never been trained (nothing complete to publish)."""
    from pricing.registry import ModelNotFoundError, get_model

    try:
        demand = demand_tag or get_model(settings, "demand").tag
        elasticity = elasticity_tag or get_model(settings, "elasticity").tag
    except ModelNotFoundError:
        return None
    return demand, elasticity


class LocalStages:
    """Every stage as a plain call in this process (``pricing train``)."""

    def __init__(
        self,
        settings: Settings,
        quick: bool = False,
        seed: int | None = None,
        progress: Progress | None = None,
        agent_iterations: int | None = None,
    ) -> None:
        self.settings = settings
        self.quick = quick
        self.seed = settings.seed if seed is None else seed
        self.say: Progress = progress or (lambda _: None)
        self.agent_iterations = agent_iterations

    def build_features(self) -> dict[str, Any]:
        from pricing.features.build import build_features

        result = build_features(self.settings)
        return {"grain": result.grain, "rows": result.rows}

    def materialize(self) -> dict[str, Any]:
        from pricing.store import ops

        applied = ops.apply(self.settings)
        done = ops.materialize(self.settings)
        summary = {"applied": len(applied), "views": done.views, "full": done.full}
        return summary | {"end": done.end.isoformat()}

    def snapshot(self) -> str:
        from pricing.store.ops import apply_and_snapshot

        self.say("creating a snapshot of the current features")
        return apply_and_snapshot(self.settings)

    def train(self, kind: str, snapshot: str) -> dict[str, str]:
        from pricing import training

        self.say(training.DESCRIPTIONS[kind])
        saved = training.train_model(
            self.settings,
            kind,
            snapshot,
            quick=self.quick,
            seed=self.seed,
            progress=self.say,
            agent_iterations=self.agent_iterations,
        )
        return {"tag": saved.tag, "sha256": saved.sha256}

    def publish(self, snapshot: str, demand_tag: str, elasticity_tag: str) -> None:
        from pricing.training import publish

        self.say("publishing forecasts and elasticities to the feature store")
        publish(self.settings, snapshot, demand_tag, elasticity_tag)

    def promote(self) -> dict[str, Any]:
        from pricing.promotion import promote

        self.say("champion/challenger: promoting if no worse than prod")
        return promote(self.settings, progress=self.say)


def train_all(
    settings: Settings,
    snapshot: str | None = None,
    quick: bool = False,
    seed: int | None = None,
    progress: Progress | None = None,
    agent_iterations: int | None = None,
) -> dict[str, Any]:
    """``pricing train``: the pipeline from the features already in the store (a new snapshot
    unless one is given) through promotion; the bento is left to ``pricing build``."""
    stages = LocalStages(settings, quick, seed, progress, agent_iterations)
    return run_pipeline(stages, features=False, snapshot=snapshot)
