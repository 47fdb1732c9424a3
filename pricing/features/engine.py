"""One feature definition, pluggable engines: pandas in process, or Spark.

An engine computes one table per Feast feature view from the home's canonical tables and
replaces ``<features_dir>/<view>.parquet``; the views' fields, meaning, row order and files are
the same whichever engine computed them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pandas as pd

from pricing.data.home import HomeData, write_parquet_atomic
from pricing.features.competitor import competitor_stats
from pricing.features.inventory import inventory_stats
from pricing.features.sales import sales_stats
from pricing.settings import Settings


class FeatureEngine(Protocol):
    """Computes every batch feature table from the home's canonical tables."""

    name: str

    def write(self, home: HomeData, grain: str, out: Path) -> dict[str, int]:
        """Replace ``out/<view>.parquet`` (each atomically) for every view; rows per view."""
        ...


class PandasEngine:
    """In-process engine: the reference implementation of every feature."""

    name = "pandas"

    def build(self, tables: dict[str, pd.DataFrame], grain: str) -> dict[str, pd.DataFrame]:
        """Every view from the canonical tables, in memory."""
        sales = sales_stats(tables["sales"])
        return {
            "sales_stats": sales,
            "inventory_stats": inventory_stats(tables["inventory"], sales, grain),
            "competitor_stats": competitor_stats(tables["competitor_prices"], sales),
        }

    def write(self, home: HomeData, grain: str, out: Path) -> dict[str, int]:
        views = self.build(home.read_all(), grain)
        for view, frame in views.items():
            write_parquet_atomic(frame, out / f"{view}.parquet")
        return {view: len(frame) for view, frame in views.items()}


def _spark(settings: Settings) -> FeatureEngine:
    from pricing.features.spark_engine import SparkEngine  # pyspark loads only when chosen

    return SparkEngine(settings.spark, settings.verbose)


#: Engine name -> how to make it from the settings.
ENGINES: dict[str, Callable[[Settings], FeatureEngine]] = {
    "pandas": lambda settings: PandasEngine(),
    "spark": _spark,
}


def get_engine(name: str, settings: Settings) -> FeatureEngine:
    """The engine registered under ``name`` (``pandas`` or ``spark``), configured by
    ``settings``."""
    try:
        make = ENGINES[name]
    except KeyError as exc:
        known = sorted(ENGINES)
        raise ValueError(f"unknown feature engine {name!r}; expected one of {known}") from exc
    return make(settings)
