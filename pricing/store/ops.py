"""Feast operations on a home: apply definitions, materialize by the clock, read online."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pricing.clock import resolve_as_of
from pricing.data.home import HomeData, NoDataError
from pricing.environment import library_prints_logged
from pricing.settings import Settings
from pricing.store.config import open_store
from pricing.store.definitions import (
    BASE_SERVICE,
    MODEL_FEATURES,
    SERVING_SERVICE,
    Definitions,
    build_definitions,
)


def home_definitions(settings: Settings) -> Definitions:
    """The home's definitions; model-output views once `pricing train` has written them."""
    grain = HomeData(settings.data_dir).require_grain()
    with_models = all(
        (settings.features_dir / f"{view}.parquet").exists() for view in MODEL_FEATURES
    )
    return build_definitions(settings, grain, with_models)


def apply(settings: Settings) -> list[str]:
    """Register entities, views and services; returns the names applied."""
    definitions = home_definitions(settings)
    missing = [
        v for v in definitions.views if not (settings.features_dir / f"{v}.parquet").exists()
    ]
    if missing:
        raise NoDataError(f"feature files missing for {missing}; run `pricing features build`")
    store = open_store(settings)
    store.apply(definitions.objects())
    return [obj.name for obj in definitions.objects()]


@dataclass(frozen=True)
class Materialization:
    end: pd.Timestamp
    views: list[str]


def materialize(settings: Settings, full: bool = False) -> Materialization:
    """Incrementally load the online store up to ``PRICING_AS_OF``.

    Each view resumes where its last materialization ended; a view never materialized starts
    at as-of minus its ttl (Feast's own incremental mode counts from the wall clock, which
    is wrong for historical data sets). ``full`` reloads every view's ttl window (a fresh
    online store behind an existing registry, e.g. the same home switched to Redis).
    """
    end = resolve_as_of(settings).to_pydatetime()
    store = open_store(settings)
    done = []
    for view in store.list_feature_views():
        start = (None if full else view.most_recent_end_time) or (end - view.ttl)
        if start.tzinfo is None:
            start = start.replace(tzinfo=end.tzinfo)
        if start < end:
            with library_prints_logged(settings):  # Feast prints its progress
                store.materialize(start_date=start, end_date=end, feature_views=[view.name])
            done.append(view.name)
    return Materialization(pd.Timestamp(end), done)


def online_features(
    settings: Settings,
    product_ids: list[str],
    location_id: str = "all",
    service: str | None = None,
) -> pd.DataFrame:
    """Latest online features for each (product, location), one row per requested product.

    Without ``service``: the serving service (base + model outputs) once training has
    published them, else the base service.
    """
    from feast.errors import FeatureServiceNotFoundException

    store = open_store(settings)
    rows = [{"product_id": p, "location_id": location_id} for p in product_ids]
    try:
        chosen = store.get_feature_service(service or SERVING_SERVICE)
    except FeatureServiceNotFoundException:
        if service is not None:
            raise
        chosen = store.get_feature_service(BASE_SERVICE)
    result = store.get_online_features(features=chosen, entity_rows=rows)
    return pd.DataFrame(result.to_dict())


def apply_and_snapshot(settings: Settings) -> str:
    """Register the current definitions, then take a training snapshot of the base features."""
    from pricing.store.snapshots import create_snapshot

    apply(settings)
    return create_snapshot(settings).snapshot
