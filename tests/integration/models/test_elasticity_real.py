"""The price response end to end through a home: simulated truth, Dominick's OJ and
retail_price (where pooled trees once answered 81x the units 10% below a series' lowest
price), scored on the training rows built in memory from the canonical data alone (no feature
files, no Feast objects), which are exactly the rows a snapshot of the same home holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing.data.adapters import load_oj, load_retail_price, shipped_datasets_dir
from pricing.data.home import HomeData
from pricing.data.ingest import store_batch
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.models.elasticity import PriceResponseModel
from pricing.models.elasticity_eval import evaluate_elasticity, truth_frame
from pricing.settings import Settings
from pricing.store import ops
from pricing.store.snapshots import create_snapshot, load_snapshot, training_frame

pytestmark = pytest.mark.integration


def files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_training_frame_is_the_snapshot_and_writes_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings("small")
    generate_into_home(settings, products=4, days=120, seed=3)
    before = files_under(settings.home_dir)

    frame = training_frame(settings)

    assert files_under(settings.home_dir) == before  # no feature files, registry or dataset
    build_features(settings)
    ops.apply(settings)
    info = create_snapshot(settings)
    pd.testing.assert_frame_equal(frame, load_snapshot(settings, info.snapshot))


def test_recovers_simulated_elasticities(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings("synthetic")
    generate_into_home(settings, products=50, days=730, seed=42)
    truth = truth_frame(settings)
    assert truth is not None and len(truth) == 50

    scores = evaluate_elasticity(training_frame(settings), truth, seed=0)

    assert scores["products"] == scores["series"] == 50
    assert scores["rank_correlation"] >= 0.9
    assert scores["median_abs_error"] < 0.2
    assert scores["share_negative"] == 1.0


def test_dominicks_oj_elasticities_are_negative_and_plausible(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings("oj")
    store_batch(HomeData(settings.data_dir), load_oj(shipped_datasets_dir()), source="dataset:oj")
    assert truth_frame(settings) is None

    scores = evaluate_elasticity(training_frame(settings), None, seed=0)

    assert scores["products"] == 11 and scores["series"] == 913
    assert scores["share_negative"] >= 0.9
    assert -4.0 <= scores["median_elasticity"] <= -2.0  # within-series OJ slopes: about -2..-4
    assert scores["rank_correlation"] is None
    assert scores["fit_seconds"] < 60


def test_retail_price_goes_no_steeper_below_its_prices_than_each_series_own_slope(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings("retail_price")
    batch = load_retail_price(shipped_datasets_dir())
    store_batch(HomeData(settings.data_dir), batch, source="dataset:retail_price")
    frame = training_frame(settings)

    scores = evaluate_elasticity(frame, None, seed=0)
    model = PriceResponseModel.fit(frame, seed=0)

    ratios = model.below_edge_ratios(frame)
    own = pd.Series(0.9 ** model.priors[:, :, 1].mean(axis=0), index=model.series.index)
    np.testing.assert_allclose(ratios, own[ratios.index], rtol=1e-6)  # the series' own slope
    assert scores["share_negative"] >= 0.9
    assert scores["below_edge_ratio_p90"] < 2.0  # 81x before the trees were kept inside
