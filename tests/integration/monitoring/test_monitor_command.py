"""`pricing monitor` as an operator runs it: no drift on a steady market it was trained on,
drift on a market whose last window holds a price war, what to run on an empty home."""

from __future__ import annotations

from pathlib import Path

import pytest

from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.market.drift import MarketShift
from pricing.monitoring.history import read_history
from pricing.monitoring.windows import window_size
from pricing.pipeline import train_all
from pricing.settings import Settings
from pricing.store import ops
from tests.integration.commands import cli_json, operator_env, run_on

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_steady_market_reports_no_drift_and_keeps_a_history(trained_home):
    home, bentoml_home = trained_home
    env = operator_env(home, BENTOML_HOME=str(bentoml_home))
    summary = cli_json(env, "monitor")
    assert summary["drift"] is False, summary["reasons"]
    assert summary["drift_share"] < 0.3 and summary["reasons"] == []  # noise, not drift
    assert Path(summary["report"]).exists() and summary["report"].endswith("data_drift.html")
    assert summary["forecast_wape"] is not None and 0 <= summary["forecast_coverage_80"] <= 1
    assert summary["current_rows"] >= 30 and summary["reference_rows"] > summary["current_rows"]
    runs = read_history(Settings(home=home, model_store=bentoml_home))
    assert summary["run_id"] in set(runs["run_id"])


def test_a_price_war_in_the_last_window_is_flagged(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))
    settings = Settings(home=home)
    war = MarketShift("price_war", start=200 - window_size("daily", settings.monitor, series=6))
    generate_into_home(settings, products=6, days=200, seed=4, shift=war)
    build_features(settings)
    ops.apply(settings)
    ops.materialize(settings)
    train_all(settings, quick=True, seed=0)
    summary = cli_json(operator_env(home, BENTOML_HOME=str(tmp_path / "bentoml")), "monitor")
    assert summary["drift"] is True
    assert {"competitor_min_price", "price_gap_ratio"} <= set(summary["drifted_features"])
    assert any("features drifted" in reason for reason in summary["reasons"])


def test_an_empty_home_says_what_to_run(tmp_path):
    done = run_on(tmp_path / "empty", "monitor", "--json")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "holds no data" in done.stderr and "pricing data generate" in done.stderr
