"""The trained agent as plain arrays: inference needs neither Ray nor torch.

RLlib's default PPO module is an MLP actor encoder followed by a linear policy head; the
weights are copied out in layer order and replayed with numpy. Training checks the replayed
logits equal the torch module's (``agent_train.verify_export``) before the export is saved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = "agent_weights.json"
META_FILE = "agent.json"
_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
}


@dataclass
class NumpyPolicy:
    """Greedy or sampled actions from exported actor weights."""

    hidden: list[tuple[np.ndarray, np.ndarray]]
    head: tuple[np.ndarray, np.ndarray]
    activation: str = "tanh"
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(self, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float32)
        act = _ACTIVATIONS[self.activation]
        for weight, bias in self.hidden:
            x = act(x @ weight.T + bias)
        weight, bias = self.head
        return x @ weight.T + bias

    def probabilities(self, obs: np.ndarray) -> np.ndarray:
        z = self.logits(obs)
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def act(self, obs: np.ndarray) -> int:
        """The most probable action (serving and benchmarks are deterministic)."""
        return int(np.argmax(self.logits(obs)))

    def save(self, directory: Path) -> list[Path]:
        """Weights as JSON (deterministic bytes, tiny for these MLPs) plus metadata."""
        directory.mkdir(parents=True, exist_ok=True)
        weights = {
            "hidden": [[w.tolist(), b.tolist()] for w, b in self.hidden],
            "head": [self.head[0].tolist(), self.head[1].tolist()],
        }
        files = [directory / WEIGHTS_FILE, directory / META_FILE]
        files[0].write_text(json.dumps(weights))
        meta = {"activation": self.activation, **self.meta}
        files[1].write_text(json.dumps(meta, indent=2, sort_keys=True))
        return files

    @classmethod
    def load(cls, directory: Path) -> NumpyPolicy:
        meta = json.loads((directory / META_FILE).read_text())
        weights = json.loads((directory / WEIGHTS_FILE).read_text())
        hidden = [
            (np.asarray(w, np.float32), np.asarray(b, np.float32)) for w, b in weights["hidden"]
        ]
        head = (
            np.asarray(weights["head"][0], np.float32),
            np.asarray(weights["head"][1], np.float32),
        )
        activation = meta.pop("activation")
        return cls(hidden, head, activation, meta)


def _layers(state: dict[str, np.ndarray], prefix: str) -> list[tuple[np.ndarray, np.ndarray]]:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.weight$")
    indices = sorted(int(m.group(1)) for k in state if (m := pattern.match(k)))
    return [(state[f"{prefix}{i}.weight"], state[f"{prefix}{i}.bias"]) for i in indices]


def from_state_dict(state: dict[str, Any], activation: str, meta: dict[str, Any]) -> NumpyPolicy:
    """Build from an RLlib DefaultPPOTorchRLModule state dict (torch tensors or arrays); the
    arrays are copies, so the export never changes with the module it came from."""
    arrays = {
        k: np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=np.float32)
        for k, v in state.items()
    }
    hidden = _layers(arrays, "encoder.actor_encoder.net.mlp.")
    head = _layers(arrays, "pi.net.mlp.")
    if not hidden or len(head) != 1:
        raise ValueError("unexpected RLModule layout: need actor encoder MLP + one linear head")
    return NumpyPolicy(hidden, head[0], activation, meta)
