"""`pricing train`: the trio from one snapshot, saved with lineage, outputs served by Feast,
and reproducible from the same snapshot and seed.

Both tests reuse the session's trained home (``trained_home``: ``train_all`` with quick
models and seed 0) instead of training the trio again for each check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.clock import resolve_as_of
from pricing.data.home import HomeData
from pricing.models.demand import DemandForecaster
from pricing.models.outputs import forecast_rows
from pricing.models.snapshot_tables import rivals_from_snapshot, sales_from_snapshot
from pricing.pipeline import TRAINING_ORDER
from pricing.promotion import evaluate_set
from pricing.registry import get_model, prod_set
from pricing.settings import Settings
from pricing.store import ops
from pricing.store.snapshots import load_snapshot
from pricing.training import train_model

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def trained_snapshot(settings: Settings) -> tuple[dict[str, str], str]:
    prod = prod_set(settings)
    assert prod is not None, "train_all promotes the first trio it trains"
    return prod, str(get_model(settings, "demand", prod["demand"]).metadata["snapshot"])


def test_training_saves_lineage_and_publishes_model_outputs(served):
    prod, snapshot = trained_snapshot(served)
    assert snapshot.startswith("snap_")
    for kind, tag in prod.items():
        saved = get_model(served, kind, tag)
        assert saved.metadata["snapshot"] == snapshot
        assert saved.metadata["code_version"]
        if kind != "agent":
            assert saved.metadata["feature_service"] == "pricing_features_v1"
            assert saved.metadata["data_hash"]
    row = ops.online_features(served, ["P0001"]).iloc[0]
    assert row["forecast_model"] == prod["demand"]
    assert row["elasticity_model"] == prod["elasticity"]
    assert row["elasticity"] < 0 and row["forecast_units"] >= 0


def _forecasts(settings: Settings, tag: str, snapshot: str) -> pd.DataFrame:
    grain = HomeData(settings.data_dir).require_grain()
    frame = load_snapshot(settings, snapshot)
    forecaster = DemandForecaster.load(get_model(settings, "demand", tag).path)
    sales, rivals = sales_from_snapshot(frame, grain), rivals_from_snapshot(frame, grain)
    return forecast_rows(forecaster, sales, rivals, resolve_as_of(settings), tag)


def test_same_snapshot_and_seed_reproduce_the_trio(served, tmp_path):
    prod, snapshot = trained_snapshot(served)
    other = served.model_copy(update={"model_store": tmp_path / "store"})  # nothing published
    again = {
        kind: train_model(other, kind, snapshot, quick=True, seed=0) for kind in TRAINING_ORDER
    }
    # XGBoost: byte-identical members.
    assert again["elasticity"].sha256 == get_model(served, "elasticity", prod["elasticity"]).sha256
    # LSTM: the same forecasts (the .keras archive embeds its save time, so its bytes differ).
    np.testing.assert_allclose(
        _forecasts(other, again["demand"].tag, snapshot)["forecast_units"],
        _forecasts(served, prod["demand"], snapshot)["forecast_units"],
        rtol=1e-6,
    )
    # PPO: the same policy-benchmark score (measured here: identical weights too).
    scored = {"promote_scenarios": 3}
    first = evaluate_set(served.model_copy(update=scored), prod)
    second = evaluate_set(
        other.model_copy(update=scored), {kind: m.tag for kind, m in again.items()}
    )
    assert second["forecast_wape"] == pytest.approx(first["forecast_wape"], rel=1e-6)
    assert second["policy_pct_of_oracle"] == pytest.approx(first["policy_pct_of_oracle"], abs=0.5)
