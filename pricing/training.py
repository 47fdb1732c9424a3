"""Training entry points: each trains one model of the trio and saves it with its lineage."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pricing.models.agent import N_ACTIONS, OBS_SIZE, PricingEnv
from pricing.models.agent_export import NumpyPolicy
from pricing.models.agent_train import PPOSettings, train_ppo
from pricing.registry import ModelNotFoundError, SavedModel, get_model, save_model
from pricing.settings import Settings

Progress = Callable[[str], None]


def train_agent(
    settings: Settings,
    quick: bool = False,
    seed: int | None = None,
    snapshot: str | None = None,
    progress: Progress | None = None,
) -> SavedModel:
    """PPO on randomized markets (true demand of simulated products), exported and saved.

    The agent learns a pricing rule over normalized observations, not any one catalogue, so
    it is trained on generated markets; ``snapshot`` only records which data it was paired with.
    """
    seed = settings.seed if seed is None else seed
    ppo = PPOSettings.quick(seed) if quick else PPOSettings(seed=seed)
    env_config = {"seed": seed, "elasticity_noise": 0.1}

    def report(iteration: int, row: dict[str, float]) -> None:
        if progress:
            progress(
                f"PPO iteration {iteration}/{ppo.iterations}: "
                f"return {row['episode_return_mean']:.2f} ({row['seconds']:.0f}s)"
            )

    result = train_ppo(PricingEnv, env_config, ppo, on_iteration=report)
    with tempfile.TemporaryDirectory() as tmp:
        result.policy.save(Path(tmp))
        metadata: dict[str, Any] = {
            "snapshot": snapshot or "",
            "feature_service": "",
            "parameters": {
                **ppo.__dict__,
                "hidden": list(ppo.hidden),
                "env": env_config,
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


def load_agent(settings: Settings, tag: str | None = None) -> NumpyPolicy:
    return NumpyPolicy.load(get_model(settings, "agent", tag).path)


def agent_or_train(
    settings: Settings, quick: bool = False, progress: Progress | None = None
) -> tuple[NumpyPolicy, str]:
    """The home's agent, training one first when the store has none."""
    try:
        saved = get_model(settings, "agent")
    except ModelNotFoundError:
        if progress:
            progress("no agent in the model store: training one")
        saved = train_agent(settings, quick=quick, progress=progress)
    return NumpyPolicy.load(saved.path), saved.tag
