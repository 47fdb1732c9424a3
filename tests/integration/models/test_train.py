"""`pricing train`: the trio from one snapshot, saved with lineage, outputs served by Feast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.promotion import evaluate_set
from pricing.registry import get_model
from pricing.store import ops
from pricing.store.snapshots import create_snapshot
from pricing.training import train_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_quick_training_publishes_model_outputs(make_settings):
    settings = make_settings("train")
    generate_into_home(settings, products=4, days=150, seed=2)
    build_features(settings)
    ops.apply(settings)
    snapshot = create_snapshot(settings).snapshot
    result = train_all(settings, snapshot=snapshot, quick=True)
    assert result["snapshot"] == snapshot
    assert set(result["models"]) == {"demand", "elasticity", "agent"}
    for kind, model in result["models"].items():
        saved = get_model(settings, kind, model["tag"])
        assert saved.sha256 == model["sha256"]
        assert saved.metadata["snapshot"] == snapshot
        assert saved.metadata["code_version"]
        if kind != "agent":
            assert saved.metadata["feature_service"] == "pricing_features_v1"
            assert saved.metadata["data_hash"]
    row = ops.online_features(settings, ["P0001"]).iloc[0]
    assert row["forecast_model"] == result["models"]["demand"]["tag"]
    assert row["elasticity_model"] == result["models"]["elasticity"]["tag"]
    assert row["elasticity"] < 0 and row["forecast_units"] >= 0
    forecasts = pd.read_parquet(settings.features_dir / "demand_forecast.parquet")
    elasticities = pd.read_parquet(settings.features_dir / "elasticity.parquet")
    first_eval = evaluate_set(settings, {k: m["tag"] for k, m in result["models"].items()}, 3)
    # Same snapshot and seed: byte-identical XGBoost members, identical elasticities.
    again = train_all(settings, snapshot=snapshot, quick=True)
    assert again["models"]["elasticity"]["sha256"] == result["models"]["elasticity"]["sha256"]
    value_columns = ["elasticity", "elasticity_lower", "elasticity_upper"]
    pd.testing.assert_frame_equal(
        pd.read_parquet(settings.features_dir / "elasticity.parquet")[value_columns],
        elasticities[value_columns],
    )
    # LSTM: the same forecasts (the .keras archive embeds its save time, so its bytes differ);
    # PPO: the same policy-benchmark score (measured here: identical weights too).
    again_forecasts = pd.read_parquet(settings.features_dir / "demand_forecast.parquet")
    np.testing.assert_allclose(
        again_forecasts["forecast_units"], forecasts["forecast_units"], rtol=1e-6
    )
    again_eval = evaluate_set(settings, {k: m["tag"] for k, m in again["models"].items()}, 3)
    assert again_eval["forecast_wape"] == pytest.approx(first_eval["forecast_wape"], rel=1e-6)
    assert again_eval["policy_pct_of_oracle"] == pytest.approx(
        first_eval["policy_pct_of_oracle"], abs=0.5
    )
