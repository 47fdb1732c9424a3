"""A private Tansu broker per test and a small home that streams into it: generated data,
features built and the Feast definitions applied (the realtime view and its empty log), no
models (the realtime view needs none)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.settings import Settings
from pricing.store import ops
from pricing.streaming.broker import EmbeddedBroker, start_broker
from pricing.streaming.kafka import ensure_topics


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """Tansu on a free port, memory-only: every test starts with empty topics and groups."""
    running = start_broker(tmp_path / "broker.log")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def stream_home(tmp_path: Path, broker: EmbeddedBroker) -> Callable[..., Settings]:
    """Settings of a fresh home on the test's broker (``kafka``: more Kafka settings; other
    keywords: Settings fields such as the online store), with its topics created."""

    def factory(
        products: int = 4, days: int = 40, kafka: dict[str, Any] | None = None, **fields: Any
    ) -> Settings:
        connection = {"bootstrap_servers": broker.bootstrap, **(kafka or {})}
        settings = Settings(home=tmp_path / "home", kafka=connection, **fields)
        generate_into_home(settings, products=products, days=days, seed=1)
        build_features(settings)
        ops.apply(settings)
        ensure_topics(settings.kafka, broker.bootstrap)
        return settings

    return factory
