"""Online features for serving: one Feast read per request, with each feature's event time.

Feast answers a key it holds nothing for with ``None`` values and a zero timestamp; both are
kept so the engine can tell "missing" from "stale" (older than ``PRICING_AS_OF`` allows).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd

from pricing.data.grain import period_delta
from pricing.settings import Settings

#: Features a recommendation cannot be made without: the price in effect, the forecast and
#: the batch elasticity (all but the first written by `pricing train`).
REQUIRED = ("last_price", "forecast_units", "forecast_ref_price", "elasticity")
TS = "__ts"

Row = dict[str, Any]


class FeatureSource(Protocol):
    """Feature rows (values + ``<name>__ts`` epoch seconds) for (product, location) keys."""

    def read(self, keys: Sequence[tuple[str, str]]) -> list[Row]: ...


class FeastFeatureSource:
    """Reads the serving feature service through one long-lived Feast store."""

    def __init__(self, settings: Settings, service: str | None = None) -> None:
        from pricing.store.config import open_store
        from pricing.store.definitions import BASE_SERVICE, SERVING_SERVICE

        self.store = open_store(settings)
        names = {s.name for s in self.store.list_feature_services()}
        self.service_name = service or (
            SERVING_SERVICE if SERVING_SERVICE in names else BASE_SERVICE
        )
        self.service = self.store.get_feature_service(self.service_name)

    def read(self, keys: Sequence[tuple[str, str]]) -> list[Row]:
        if not keys:
            return []
        rows = [{"product_id": p, "location_id": loc} for p, loc in keys]
        result = self.store.get_online_features(features=self.service, entity_rows=rows)
        columns = result.to_dict(include_event_timestamps=True)
        return [{name: values[i] for name, values in columns.items()} for i in range(len(keys))]


def number(row: Row, name: str) -> float:
    """A feature as a float (NaN when missing or not a number)."""
    value = row.get(name)
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return out


def freshness_problem(row: Row, as_of: pd.Timestamp, max_age: pd.Timedelta) -> str | None:
    """Why a row cannot be trusted for pricing (None if it can)."""
    missing = [name for name in REQUIRED if not math.isfinite(number(row, name))]
    if missing:
        return f"missing features: {', '.join(missing)}"
    oldest = min(number(row, name + TS) for name in REQUIRED)
    if not math.isfinite(oldest) or oldest <= 0:
        return "missing feature timestamps"
    stamp = pd.Timestamp(oldest, unit="s", tz="UTC")
    if stamp < as_of - max_age:
        return f"stale features: latest from {stamp.isoformat()}, as-of {as_of.isoformat()}"
    return None


def max_feature_age(grain: str, periods: float) -> pd.Timedelta:
    """How old a feature row may be before it counts as stale."""
    one = pd.Timestamp("2000-01-01", tz="UTC")
    return (one + period_delta(grain) - one) * periods
