"""Training entry points: each trains one model of the trio and saves it with its lineage;
``publish`` writes the trained models' outputs into the feature store. The order they run in
is ``pricing.pipeline``'s."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pricing.environment import native_log, native_output_logged
from pricing.models.agent import N_ACTIONS, OBS_SIZE, PricingEnv
from pricing.models.agent_train import PPOSettings, train_ppo
from pricing.registry import SavedModel, get_model, save_model
from pricing.settings import Settings

Progress = Callable[[str], None]


def train_agent(
    settings: Settings,
    quick: bool = False,
    seed: int | None = None,
    snapshot: str | None = None,
    progress: Progress | None = None,
    iterations: int | None = None,
) -> SavedModel:
    """PPO on randomized markets (true demand of simulated products), exported and saved.

    The agent learns a pricing rule over normalized observations, not any one catalogue, so
    it is trained on generated markets; ``snapshot`` only records which data it was paired with.
    """
    seed = settings.seed if seed is None else seed
    ppo = PPOSettings.quick(seed) if quick else PPOSettings(seed=seed)
    if iterations is not None:
        ppo = dataclasses.replace(ppo, iterations=iterations)
    env_config = {"seed": seed, "elasticity_noise": 0.1}

    def report(iteration: int, row: dict[str, float]) -> None:
        if progress:
            progress(
                f"PPO iteration {iteration}/{ppo.iterations}: "
                f"return {row['episode_return_mean']:.2f} ({row['seconds']:.0f}s)"
            )

    result = train_ppo(
        PricingEnv,
        env_config,
        ppo,
        settings.ray,
        on_iteration=report,
        native_log=native_log(settings),
    )
    with tempfile.TemporaryDirectory() as tmp:
        result.policy.save(Path(tmp))
        metadata: dict[str, Any] = {
            "snapshot": snapshot or "",
            "feature_service": "",
            "parameters": {
                **ppo.__dict__,
                "hidden": list(ppo.hidden),
                "env": env_config,
                "ray": settings.ray.model_dump(exclude_none=True),  # BentoML refuses None
                "obs_size": OBS_SIZE,
                "actions": N_ACTIONS,
            },
            "metrics": {
                "final_return": result.history[-1]["episode_return_mean"]
                if result.history
                else None,
                "seconds": round(result.seconds, 1),
            },
            "data_hash": "",
            "quick": quick,
        }
        return save_model(settings, "agent", Path(tmp), metadata)


def _save(
    settings: Settings, kind: str, write: Callable[[Path], Any], metadata: dict[str, Any]
) -> SavedModel:
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
        return save_model(settings, kind, Path(tmp), metadata)


def _lineage(settings: Settings, snapshot: str, quick: bool) -> dict[str, Any]:
    from pricing.store.definitions import BASE_SERVICE
    from pricing.store.snapshots import show_snapshot

    return {
        "snapshot": snapshot,
        "feature_service": BASE_SERVICE,
        "data_hash": show_snapshot(settings, snapshot).get("hash", ""),
        "quick": quick,
    }


def train_elasticity(
    settings: Settings, snapshot: str, quick: bool = False, seed: int | None = None
) -> SavedModel:
    """The XGBoost price response from a snapshot, saved with its lineage."""
    from pricing.models.elasticity import PriceResponseModel
    from pricing.store.snapshots import load_snapshot

    seed = settings.seed if seed is None else seed
    frame = load_snapshot(settings, snapshot)
    members = 2 if quick else 5
    response = PriceResponseModel.fit(frame, seed=seed, members=members, quick=quick)
    return _save(
        settings,
        "elasticity",
        response.save,
        {
            **_lineage(settings, snapshot, quick),
            "parameters": {"members": members, "seed": seed},
            "metrics": {},
        },
    )


def train_demand(
    settings: Settings, snapshot: str, quick: bool = False, seed: int | None = None
) -> SavedModel:
    """The LSTM forecaster from a snapshot, saved with its lineage and its band's calibration."""
    from pricing.data.home import HomeData
    from pricing.models.demand import DemandForecaster
    from pricing.models.snapshot_tables import rivals_from_snapshot, sales_from_snapshot
    from pricing.store.snapshots import load_snapshot

    seed = settings.seed if seed is None else seed
    grain = HomeData(settings.data_dir).require_grain()
    frame = load_snapshot(settings, snapshot)
    sales, rivals = sales_from_snapshot(frame, grain), rivals_from_snapshot(frame, grain)
    with native_output_logged(settings):
        forecaster = DemandForecaster().fit(sales, rivals, grain, quick=quick, seed=seed)
    config = forecaster.config.__dict__ if forecaster.config else {}
    return _save(
        settings,
        "demand",
        forecaster.save,
        {
            **_lineage(settings, snapshot, quick),
            "parameters": {**config, "horizon": forecaster.horizon, "seed": seed},
            # The 10-90% band's conformal margin (log scale) and the held-out points behind it.
            "metrics": {
                "band_margin": forecaster.margin,
                "calibration_points": forecaster.calibration_points,
            },
        },
    )


def publish(settings: Settings, snapshot: str, demand_tag: str, elasticity_tag: str) -> None:
    """Batch outputs of stored models into the feature store: next-horizon forecasts and
    per-series elasticities as of ``PRICING_AS_OF``, then registered (with the serving
    service) and materialized online, the output views reloaded whole: a retraining on the
    same data stamps its rows at the same as-of, which a load by time would skip, leaving
    serving on the previous models' values. Separate from training, so a cached training step
    still publishes."""
    from pricing.clock import resolve_as_of
    from pricing.data.home import HomeData, write_parquet_atomic
    from pricing.models.demand import DemandForecaster
    from pricing.models.elasticity import PriceResponseModel
    from pricing.models.outputs import elasticity_rows, forecast_rows
    from pricing.models.snapshot_tables import rivals_from_snapshot, sales_from_snapshot
    from pricing.store import ops
    from pricing.store.definitions import MODEL_FEATURES
    from pricing.store.snapshots import load_snapshot

    grain = HomeData(settings.data_dir).require_grain()
    frame, as_of = load_snapshot(settings, snapshot), resolve_as_of(settings)
    sales, rivals = sales_from_snapshot(frame, grain), rivals_from_snapshot(frame, grain)
    response = PriceResponseModel.load(get_model(settings, "elasticity", elasticity_tag).path)
    with native_output_logged(settings):
        forecaster = DemandForecaster.load(get_model(settings, "demand", demand_tag).path)
        forecasts = forecast_rows(forecaster, sales, rivals, as_of, demand_tag)
    write_parquet_atomic(forecasts, settings.features_dir / "demand_forecast.parquet")
    write_parquet_atomic(
        elasticity_rows(response, frame, as_of, elasticity_tag),
        settings.features_dir / "elasticity.parquet",
    )
    ops.apply(settings)
    ops.materialize(settings, reload=list(MODEL_FEATURES))


DESCRIPTIONS = {
    "elasticity": "price response (XGBoost)",
    "demand": "demand forecaster (LSTM)",
    "agent": "pricing agent (PPO)",
}


def train_model(
    settings: Settings,
    kind: str,
    snapshot: str,
    quick: bool = False,
    seed: int | None = None,
    progress: Progress | None = None,
    agent_iterations: int | None = None,
) -> SavedModel:
    """Train and save one model of the trio (``kind`` as in ``DESCRIPTIONS``) from a snapshot."""
    if kind == "agent":
        return train_agent(settings, quick, seed, snapshot, progress, agent_iterations)
    trainers = {"elasticity": train_elasticity, "demand": train_demand}
    return trainers[kind](settings, snapshot, quick, seed)
