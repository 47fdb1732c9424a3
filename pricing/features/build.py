"""``pricing features build``: read the home's canonical tables, compute, write feature files."""

from __future__ import annotations

from dataclasses import dataclass

from pricing.data.home import HomeData, write_parquet_atomic
from pricing.features.engine import get_engine
from pricing.settings import Settings


@dataclass(frozen=True)
class FeatureBuild:
    engine: str
    grain: str
    rows: dict[str, int]


def build_features(settings: Settings, engine: str = "pandas") -> FeatureBuild:
    """Compute every batch feature table and replace the files Feast's sources point at."""
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    tables = get_engine(engine).build(home.read_all(), grain)
    for view, frame in tables.items():
        write_parquet_atomic(frame, settings.features_dir / f"{view}.parquet")
    return FeatureBuild(engine, grain, {view: len(frame) for view, frame in tables.items()})
