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
#: Of those, the prices: a price of 0 or less is garbage however fresh.
POSITIVE = ("last_price", "forecast_ref_price")
TS = "__ts"

Row = dict[str, Any]


class OnlineStoreUnavailable(ConnectionError):
    """The online store did not answer in time: every item of the request gets a flagged
    fallback price instead of a hung or failed request."""


class FeatureSource(Protocol):
    """Feature rows (values + ``<name>__ts`` epoch seconds) for (product, location) keys;
    raises :class:`OnlineStoreUnavailable` when the store does not answer."""

    def read(self, keys: Sequence[tuple[str, str]]) -> list[Row]: ...


def open_feature_source(settings: Settings) -> FeatureSource:
    """The serving read for this home: one pipelined Redis round trip on a Redis online store
    (:mod:`pricing.serving.redis_source`), Feast's own read on any other."""
    if settings.online_store.type == "redis":
        from pricing.serving.redis_source import RedisFeatureSource

        return RedisFeatureSource(settings)
    return FeastFeatureSource(settings)


class FeastFeatureSource:
    """Reads the serving feature service through one long-lived Feast store."""

    def __init__(self, settings: Settings, service: str | None = None) -> None:
        from pricing.store.config import open_store
        from pricing.store.ops import serving_service

        self.store = open_store(settings)
        self.service_name = service or serving_service(self.store)
        self.service = self.store.get_feature_service(self.service_name)

    def read(self, keys: Sequence[tuple[str, str]]) -> list[Row]:
        if not keys:
            return []
        rows = [{"product_id": p, "location_id": loc} for p, loc in keys]
        result = self.store.get_online_features(features=self.service, entity_rows=rows)
        columns = result.to_dict(include_event_timestamps=True)
        return [{name: values[i] for name, values in columns.items()} for i in range(len(keys))]


#: batch feature -> the streamed feature that stands in for it when newer.
REALTIME_OVERRIDES = {
    "last_price": "realtime_price",
    "competitor_min_price": "realtime_competitor_price",
    "on_hand": "realtime_on_hand",
}


def prefer_realtime(row: Row) -> Row:
    """The row with each batch value replaced by its streamed one when that is newer.

    A batch row is stamped at its period's end and summarises the whole period, so it wins
    over events from inside that period; an event after it (a competitor's cut this morning)
    wins over it, and so does any streamed value where the batch one is missing. The replaced
    values keep their event time, and ``realtime_used`` names them (the decision log keeps it).
    """
    used = []
    for batch, streamed in REALTIME_OVERRIDES.items():
        value, when = number(row, streamed), number(row, streamed + "_time")
        if not (math.isfinite(value) and math.isfinite(when)):
            continue
        stamp = number(row, batch + TS)
        held = math.isfinite(number(row, batch)) and math.isfinite(stamp) and stamp > 0
        if held and when <= stamp:
            continue
        row[batch], row[batch + TS] = value, when
        used.append(batch)
    if used:
        row["realtime_used"] = ",".join(used)
    return row


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
    invalid = [f"{name}={row[name]}" for name in POSITIVE if number(row, name) <= 0]
    if invalid:
        return f"invalid features: {', '.join(invalid)} (prices must be > 0)"
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
