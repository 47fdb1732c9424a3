"""Shared fixtures: isolated settings per test, a tiny synthetic home, real services."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from pricing.settings import Settings, get_settings
from tests.services import redis_service

# Hypothesis budgets for tests that do not set their own: `dev` (the default, what `make test`
# runs) and `full` (e.g. the 10,000-case guardrail property run); chosen by
# PRICING_HYPOTHESIS_PROFILE. No deadline: the machine is shared, timings are not the property.
hypothesis_settings.register_profile("dev", max_examples=500, deadline=None)
hypothesis_settings.register_profile("full", max_examples=10_000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("PRICING_HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test gets its own PRICING_HOME; nothing leaks from the developer's shell."""
    for key in list(__import__("os").environ):
        if key.startswith("PRICING_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def steady_gc() -> Iterator[None]:
    """For a test that times requests from its own process: what earlier tests left in this
    worker is kept out of the garbage collector's full passes, which stall every thread here
    (0.39 s over the stack's imports alone) and would be timed as the service's latency."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a named home under tmp_path, with overrides (online_store=..., ...)."""

    def factory(name: str = "home", **overrides: object) -> Settings:
        return Settings(home=tmp_path / name, **overrides)

    return factory


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_service() as url:
        yield url
