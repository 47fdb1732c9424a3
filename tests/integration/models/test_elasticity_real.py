"""The price response end to end through a home: simulated truth and Dominick's OJ."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pricing.data.adapters import default_datasets_dir, load_oj
from pricing.data.home import HomeData
from pricing.data.ingest import store_batch
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.models.elasticity_eval import evaluate_elasticity, snapshot_like_frame, truth_frame
from pricing.settings import Settings

pytestmark = pytest.mark.integration


def test_recovers_simulated_elasticities(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings("synthetic")
    generate_into_home(settings, products=50, days=730, seed=42)
    build_features(settings)
    truth = truth_frame(settings)
    assert truth is not None and len(truth) == 50

    scores = evaluate_elasticity(snapshot_like_frame(settings), truth, seed=0)

    assert scores["products"] == scores["series"] == 50
    assert scores["rank_correlation"] >= 0.9
    assert scores["median_abs_error"] < 0.2
    assert scores["share_negative"] == 1.0


def test_dominicks_oj_elasticities_are_negative_and_plausible(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings("oj")
    store_batch(HomeData(settings.data_dir), load_oj(default_datasets_dir()), source="dataset:oj")
    build_features(settings)
    assert truth_frame(settings) is None

    scores = evaluate_elasticity(snapshot_like_frame(settings), None, seed=0)

    assert scores["products"] == 11 and scores["series"] == 913
    assert scores["share_negative"] >= 0.9
    assert -4.0 <= scores["median_elasticity"] <= -2.0  # within-series OJ slopes: about -2..-4
    assert scores["rank_correlation"] is None
    assert scores["fit_seconds"] < 60
