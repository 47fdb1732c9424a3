"""The numpy walk of the price trees gives XGBoost's own margins, bit for bit, missing values
included."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from pricing.models.elasticity import PriceResponseModel
from pricing.models.elasticity_design import FEATURES, price_trees_booster
from pricing.models.tree_eval import CompiledTrees
from tests.unit.models.test_elasticity import snapshot_frame


@pytest.fixture(scope="module")
def model():
    frame, _ = snapshot_frame(4, 150, seed=2)
    response = PriceResponseModel.fit(frame, seed=0, members=3, quick=True)
    booster = price_trees_booster(response.boosters)
    assert booster is not None
    return booster


def test_numpy_walk_equals_xgboost_on_random_rows(model):
    trees = CompiledTrees(model)
    rng = np.random.default_rng(0)
    matrix = rng.normal(scale=0.5, size=(300, len(FEATURES))).astype(np.float32)
    matrix[rng.random(matrix.shape) < 0.1] = np.nan  # missing values take the default branch
    margins = rng.normal(size=(300, trees.targets)).astype(np.float32)
    expected = model.inplace_predict(matrix, base_margin=margins)
    np.testing.assert_array_equal(trees.predict(matrix, margins), expected)  # the same bits


def test_deep_multi_target_trees_walk_like_xgboost():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 4)).astype(np.float32)
    y = np.column_stack([np.sin(3 * x[:, 0]) + x[:, 1], np.cos(x[:, 2]) * x[:, 3]])
    params = {"max_depth": 6, "tree_method": "hist", "multi_strategy": "one_output_per_tree"}
    booster = xgb.train(params, xgb.DMatrix(x, y), num_boost_round=20)
    trees = CompiledTrees(booster)
    assert trees.depth == 6 and trees.targets == 2
    probe = rng.normal(size=(50, 4)).astype(np.float32)
    probe[::7, 2] = np.nan
    zero = np.zeros((50, 2), np.float32)
    expected = booster.inplace_predict(probe, base_margin=zero)
    np.testing.assert_array_equal(trees.predict(probe, zero), expected)
