"""One feature definition, pluggable engines: pandas by default, Spark later.

An engine turns the canonical tables into one frame per Feast feature view; the views'
fields and meaning are the same whichever engine computed them.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from pricing.features.competitor import competitor_stats
from pricing.features.inventory import inventory_stats
from pricing.features.sales import sales_stats


class FeatureEngine(Protocol):
    """Computes every batch feature table from the canonical tables."""

    name: str

    def build(self, tables: dict[str, pd.DataFrame], grain: str) -> dict[str, pd.DataFrame]: ...


class PandasEngine:
    """In-process engine: the reference implementation of every feature."""

    name = "pandas"

    def build(self, tables: dict[str, pd.DataFrame], grain: str) -> dict[str, pd.DataFrame]:
        sales = sales_stats(tables["sales"])
        return {
            "sales_stats": sales,
            "inventory_stats": inventory_stats(tables["inventory"], sales, grain),
            "competitor_stats": competitor_stats(tables["competitor_prices"], sales),
        }


ENGINES: dict[str, type] = {"pandas": PandasEngine}


def get_engine(name: str) -> FeatureEngine:
    """The engine registered under ``name`` (``pandas``; ``spark`` once it lands)."""
    try:
        return ENGINES[name]()
    except KeyError as exc:
        known = sorted(ENGINES)
        raise ValueError(f"unknown feature engine {name!r}; expected one of {known}") from exc
