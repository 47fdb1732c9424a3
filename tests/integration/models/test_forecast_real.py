"""The forecast backtest on real data: a 120-series subset of Dominick's OJ, quick LSTM."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.data.adapters import load_oj, shipped_datasets_dir
from pricing.data.home import HomeData
from pricing.data.ingest import store_batch
from pricing.models.backtest import ALL_MODELS, run_backtest
from pricing.models.series import SERIES_KEY

pytestmark = pytest.mark.integration


def test_oj_backtest_scores_every_model(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = HomeData(tmp_path_factory.mktemp("oj_forecast") / "data")
    store_batch(home, load_oj(shipped_datasets_dir()), source="dataset:oj")
    sales, competitors = home.read("sales"), home.read("competitor_prices")
    keys = sales[SERIES_KEY].drop_duplicates().sort_values(SERIES_KEY).iloc[::7].head(120)
    sales, competitors = sales.merge(keys), competitors.merge(keys)

    result = run_backtest(sales, competitors, "weekly", quick=True, seed=0)

    assert (result["horizon"], result["holdout"], result["origins"]) == (4, 12, 3)
    assert result["series"] == 120
    assert set(result["models"]) == set(ALL_MODELS)
    for name, scores in result["models"].items():
        assert np.isfinite(scores["wape"]) and scores["wape"] < 1.5, name
        assert np.isfinite(scores["mase"]), name
