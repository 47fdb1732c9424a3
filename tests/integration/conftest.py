"""A home with quick-trained models, shared by the integration tests that need one (one training
per session: serving, promotion)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.pipeline import train_all
from pricing.settings import Settings, get_settings
from pricing.store import ops


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(PRICING_HOME, BENTOML_HOME) of 6 products x 200 days with the quick trio trained."""
    root = tmp_path_factory.mktemp("served")
    home, bentoml_home = root / "home", root / "bentoml"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BENTOML_HOME", str(bentoml_home))
        settings = Settings(home=home)
        generate_into_home(settings, products=6, days=200, seed=4)
        build_features(settings)
        ops.apply(settings)
        ops.materialize(settings)
        train_all(settings, quick=True, seed=0)
    return home, bentoml_home


@pytest.fixture
def served(trained_home, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings (and environment) pointing at the trained home."""
    home, bentoml_home = trained_home
    monkeypatch.setenv("PRICING_HOME", str(home))
    monkeypatch.setenv("BENTOML_HOME", str(bentoml_home))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
