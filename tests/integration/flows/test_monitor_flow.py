"""The monitor flow under Prefect's test harness: drift flagged on a market whose last window
holds a price war; with retraining on, the pipeline runs as its subflow and promotion decides."""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness

from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.market.drift import MarketShift
from pricing.monitoring.history import read_history
from pricing.monitoring.windows import window_size
from pricing.pipeline import train_all
from pricing.registry import list_models
from pricing.settings import get_settings
from pricing.store import ops
from pricing_flows import pipeline

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAYS = 150


@pytest.fixture
def drifted_home(tmp_path, monkeypatch):
    """Quick-trained models on a market whose last monitor window is a price war."""
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    get_settings.cache_clear()
    settings = get_settings()
    window = window_size("daily", settings.monitor, series=6)  # the whole last window
    generate_into_home(settings, 6, DAYS, seed=7, shift=MarketShift("price_war", DAYS - window))
    build_features(settings)
    ops.apply(settings)
    ops.materialize(settings)
    train_all(settings, quick=True, seed=0)
    yield settings
    get_settings.cache_clear()


def test_drift_triggers_the_retraining_pipeline_when_asked(drifted_home):
    trained = len(list_models(drifted_home))
    with prefect_test_harness(server_startup_timeout=120):
        watched = pipeline.monitor(retrain=False)
        assert watched["drift"] and watched["retrain"] is None
        assert len(list_models(drifted_home)) == trained  # nothing retrained
        retrained = pipeline.monitor(retrain=True, quick=True)
    assert retrained["drift"]
    assert set(retrained["retrain"]["promotion"]) == {"promoted", "reasons", "prod_after"}
    assert len(list_models(drifted_home)) == trained + 3  # a new trio, gated by promotion
    assert len(read_history(drifted_home)) == 2
