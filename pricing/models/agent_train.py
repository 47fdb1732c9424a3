"""PPO training of the pricing agent with Ray RLlib (torch, new API stack).

Training runs on the Ray that ``RaySettings`` names (:mod:`ray_cluster`: a private one by
default, or a running cluster) with its env runners and learners; the result is exported to
plain arrays (:mod:`agent_export`), so serving and benchmarks never need a Ray runtime.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pricing.environment import native_output_to
from pricing.models.agent_export import NumpyPolicy, from_state_dict
from pricing.models.ray_cluster import RaySettings, ray_connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PPOSettings:
    """PPO sizes; ``quick()`` is for smoke checks only, never for quality figures. How many
    processes sample and learn, and where, is the cluster's (:class:`RaySettings`)."""

    iterations: int = 40
    train_batch: int = 4000
    minibatch: int = 256
    epochs: int = 8
    lr: float = 5e-4
    gamma: float = 0.99
    lambda_: float = 0.95
    entropy: float = 0.005
    hidden: tuple[int, ...] = (64, 64)
    envs_per_runner: int = 8
    seed: int = 0

    @classmethod
    def quick(cls, seed: int = 0) -> PPOSettings:
        return cls(
            iterations=2,
            train_batch=512,
            minibatch=128,
            epochs=2,
            hidden=(16, 16),
            envs_per_runner=2,
            seed=seed,
        )


class ExportMismatchError(RuntimeError):
    """The exported arrays do not reproduce the trained module's logits."""


def verify_export(module: Any, policy: NumpyPolicy, samples: int = 64) -> float:
    """Compare the numpy replay with RLlib's own inference on random observations."""
    import numpy as np
    import torch

    size = policy.hidden[0][0].shape[1]
    obs = np.random.default_rng(0).normal(size=(samples, size)).astype(np.float32)
    with torch.no_grad():
        out = module.forward_inference({"obs": torch.from_numpy(obs)})
    expected = out["action_dist_inputs"].cpu().numpy()
    gap = float(np.max(np.abs(policy.logits(obs) - expected)))
    if not gap <= 1e-4:  # a NaN gap fails too
        raise ExportMismatchError(
            f"the exported agent's logits differ from the trained module's by up to {gap:.3g} "
            "(tolerance 1e-4): the export does not replay the trained policy"
        )
    return gap


@dataclass
class TrainResult:
    policy: NumpyPolicy
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def _build_algo(
    env_class: type, env_config: dict[str, Any], settings: PPOSettings, cluster: RaySettings
) -> Any:
    """The PPO algorithm, its env runners and learners sized by the cluster settings."""
    from ray.rllib.algorithms.ppo import PPOConfig

    config = (
        PPOConfig()
        .environment(env_class, env_config=env_config)
        .framework("torch")
        .env_runners(
            num_env_runners=cluster.env_runners,
            num_envs_per_env_runner=cluster.envs_per_runner or settings.envs_per_runner,
            num_cpus_per_env_runner=cluster.cpus_per_env_runner,
            rollout_fragment_length="auto",
        )
        .learners(num_learners=cluster.learners, num_cpus_per_learner=cluster.cpus_per_learner)
        .training(
            train_batch_size_per_learner=settings.train_batch,
            minibatch_size=settings.minibatch,
            num_epochs=settings.epochs,
            lr=settings.lr,
            gamma=settings.gamma,
            lambda_=settings.lambda_,
            entropy_coeff=settings.entropy,
        )
        .rl_module(
            model_config={
                "fcnet_hiddens": list(settings.hidden),
                "fcnet_activation": "tanh",
                "vf_share_layers": False,
            }
        )
        .debugging(seed=settings.seed, log_level="ERROR")
    )
    return config.build_algo()


def train_ppo(
    env_class: type,
    env_config: dict[str, Any],
    settings: PPOSettings,
    cluster: RaySettings | None = None,
    on_iteration: Callable[[int, dict[str, float]], None] | None = None,
    native_log: Path | None = None,
) -> TrainResult:
    """Train PPO on ``env_class(env_config)`` on the ``cluster`` (default: a private Ray) and
    export the actor, checked against the trained module (:class:`ExportMismatchError` when
    the arrays do not reproduce it).

    Ray's start-up chatter (its loggers, which it configures itself on import, and its C++
    core) goes to ``native_log`` when given; the iterations report through ``on_iteration``.
    """
    os.environ.setdefault("RLLIB_TEST_NO_TF_IMPORT", "1")
    cluster = cluster or RaySettings()
    started = time.perf_counter()
    with ExitStack() as stack:
        with native_output_to(native_log):
            stack.enter_context(ray_connection(cluster))
            algo = _build_algo(env_class, env_config, settings, cluster)
        stack.callback(algo.stop)  # before Ray goes: the stack unwinds last in, first out
        from ray.rllib.core.rl_module.torch import TorchRLModule  # loaded (quietly) by the build

        history: list[dict[str, float]] = []
        for iteration in range(settings.iterations):
            result = algo.train()
            runners = result.get("env_runners", {})
            row = {
                "iteration": float(iteration + 1),
                "episode_return_mean": float(runners.get("episode_return_mean", float("nan"))),
                "seconds": time.perf_counter() - started,
            }
            history.append(row)
            if on_iteration:
                on_iteration(iteration + 1, row)
        module = algo.get_module()
        if not isinstance(module, TorchRLModule):
            raise ExportMismatchError(f"expected a torch RLModule to export, got {module!r}")
        policy = from_state_dict(
            module.state_dict(),
            "tanh",
            {
                "hidden": list(settings.hidden),
                "iterations": settings.iterations,
                "seed": settings.seed,
            },
        )
        verify_export(module, policy)
    return TrainResult(policy, history, time.perf_counter() - started)
