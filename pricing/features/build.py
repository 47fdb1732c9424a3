"""``pricing features build``: compute the home's feature views, write the files Feast reads."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pricing.data.home import HomeData
from pricing.features.engine import get_engine
from pricing.settings import Settings


@dataclass(frozen=True)
class FeatureBuild:
    engine: str
    grain: str
    rows: dict[str, int]
    #: The whole build: engine start (Spark's session), reading, computing, writing.
    seconds: float


def build_features(settings: Settings, engine: str = "pandas") -> FeatureBuild:
    """Compute every batch feature table and replace the files Feast's sources point at."""
    started = time.perf_counter()
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    rows = get_engine(engine, settings).write(home, grain, settings.features_dir)
    return FeatureBuild(engine, grain, rows, time.perf_counter() - started)
