"""Promotion: a worse challenger stays out, --force overrides, rollback restores prod; the
evaluate step scores the challenger exactly as promotion does."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pricing.models.agent import N_ACTIONS, OBS_SIZE
from pricing.models.agent_export import NumpyPolicy
from pricing.promotion import (
    PromotionError,
    challenger_set,
    decisions,
    evaluate_challenger,
    prod_set,
    promote,
    rollback,
)
from pricing.registry import resolve_model, save_model
from pricing.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def home(trained_home, tmp_path, monkeypatch) -> Settings:
    """A private copy of the trained home (promotion writes its aliases), scored on 3
    scenarios with a 0.5-point policy tolerance."""
    source, bentoml_home = trained_home
    shutil.copytree(source, tmp_path / "home")
    shutil.copytree(bentoml_home, tmp_path / "bentoml")
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))
    return Settings(home=tmp_path / "home", promote_scenarios=3, promote_policy_points=0.5)


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
    trained = prod_set(home)  # `pricing train` promoted the first set it trained (no prod yet)
    assert trained == challenger_set(home)
    assert [d["reasons"] for d in decisions(home)] == [["no prod yet"]]
    assert resolve_model(home, "agent").tag == trained["agent"]

    # On these scarce-stock scenarios always raising beats the tiny quick-trained agent ...
    better = save_agent(home, always(-1), tmp_path / "up")
    raised = promote(home)
    assert raised["promoted"] and raised["reasons"] == [
        "at least as good as prod on policy and forecast"
    ]
    assert raised["thresholds"] == {
        "policy_points": 0.5,
        "forecast_ratio": home.promote_forecast_ratio,
    }
    assert evaluate_challenger(home) == raised["scores"]["challenger"]  # the same evaluation
    champion = prod_set(home)
    assert champion["agent"] == better
    # ... and always cutting is far worse than always raising.
    bad = save_agent(home, always(0), tmp_path / "down")
    decision = promote(home)
    assert not decision["promoted"]
    assert decision["challenger"]["agent"] == bad
    assert "policy" in decision["reasons"][0]
    assert (
        decision["scores"]["challenger"]["policy_pct_of_oracle"]
        < decision["scores"]["prod"]["policy_pct_of_oracle"]
    )
    assert prod_set(home) == champion  # untouched
    assert resolve_model(home, "agent").tag == champion["agent"]  # serving keeps prod

    forced = promote(home, force=True)
    assert forced["promoted"] and "--force" in forced["reasons"][-1]
    assert prod_set(home)["agent"] == bad

    back = rollback(home)
    assert back["prod_after"] == champion and prod_set(home) == champion
    assert [d.get("promoted", "rollback") for d in decisions(home)] == [
        True, True, False, True, "rollback",
    ]  # fmt: skip
    rollback(home)  # the one before: the first (quick-trained) set
    assert prod_set(home) == trained


def test_rollback_without_history_fails(home):
    with pytest.raises(PromotionError, match="no earlier prod"):
        rollback(home)


def test_promoting_prod_again_is_a_no_op(home):
    trained = prod_set(home)
    again = promote(home)
    assert not again["promoted"] and "already is prod" in again["reasons"][0]
    assert again["prod_before"] == again["prod_after"] == trained == prod_set(home)
