"""Promotion: a worse challenger stays out, --force overrides, rollback restores prod."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pricing.models.agent import N_ACTIONS, OBS_SIZE
from pricing.models.agent_export import NumpyPolicy
from pricing.promotion import (
    PromotionError,
    Thresholds,
    challenger_set,
    decisions,
    prod_set,
    promote,
    rollback,
)
from pricing.registry import resolve_model, save_model
from pricing.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def home(trained_home, tmp_path, monkeypatch) -> Settings:
    """A private copy of the trained home (promotion writes its aliases)."""
    source, bentoml_home = trained_home
    shutil.copytree(source, tmp_path / "home")
    shutil.copytree(bentoml_home, tmp_path / "bentoml")
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))
    return Settings(home=tmp_path / "home")


def save_agent(settings: Settings, policy: NumpyPolicy, tmp_path) -> str:
    policy.save(tmp_path / "agent")
    return save_model(settings, "agent", tmp_path / "agent", {"snapshot": "", "bad": True}).tag


def always(action: int) -> NumpyPolicy:
    """An agent that always asks for the same move (0: deepest cut, -1: highest raise)."""
    head_bias = np.full(N_ACTIONS, -10.0, np.float32)
    head_bias[action] = 10.0
    return NumpyPolicy(
        [(np.zeros((8, OBS_SIZE), np.float32), np.zeros(8, np.float32))],
        (np.zeros((N_ACTIONS, 8), np.float32), head_bias),
    )


def test_worse_challenger_is_not_promoted_force_and_rollback(home, tmp_path):
    first = promote(home, scenarios=3)
    assert first["promoted"] and first["reasons"] == ["no prod yet"]
    champion = prod_set(home)
    assert champion == challenger_set(home)
    assert resolve_model(home, "agent").tag == champion["agent"]
    assert first["scores"]["challenger"]["forecast_wape"] > 0

    # On these scarce-stock scenarios always raising beats the tiny quick-trained agent ...
    better = save_agent(home, always(-1), tmp_path / "up")
    assert promote(home, scenarios=3)["promoted"]
    champion = prod_set(home)
    assert champion["agent"] == better
    # ... and always cutting is far worse than always raising.
    bad = save_agent(home, always(0), tmp_path / "down")
    decision = promote(home, limits=Thresholds(policy_points=0.5), scenarios=3)
    assert not decision["promoted"]
    assert decision["challenger"]["agent"] == bad
    assert "policy" in decision["reasons"][0]
    assert (
        decision["scores"]["challenger"]["policy_pct_of_oracle"]
        < decision["scores"]["prod"]["policy_pct_of_oracle"]
    )
    assert prod_set(home) == champion  # untouched
    assert resolve_model(home, "agent").tag == champion["agent"]  # serving keeps prod

    forced = promote(home, force=True, scenarios=3)
    assert forced["promoted"] and "--force" in forced["reasons"][-1]
    assert prod_set(home)["agent"] == bad

    back = rollback(home)
    assert back["prod_after"] == champion and prod_set(home) == champion
    assert [d.get("promoted", "rollback") for d in decisions(home)] == [
        True, True, False, True, "rollback",
    ]  # fmt: skip
    rollback(home)  # the one before: the first (quick-trained) set
    assert prod_set(home) == first["prod_after"]


def test_rollback_without_history_fails(home):
    with pytest.raises(PromotionError, match="no earlier prod"):
        rollback(home)


def test_promoting_prod_again_is_a_no_op(home):
    promote(home, scenarios=2)
    again = promote(home, scenarios=2)
    assert not again["promoted"] and "already is prod" in again["reasons"][0]
