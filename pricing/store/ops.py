"""Feast operations on a home: apply definitions, materialize by the clock, read online."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from pricing.clock import resolve_as_of
from pricing.data.home import HomeData, NoDataError, write_json_atomic, write_table_atomic
from pricing.data.schemas import KEY
from pricing.environment import library_prints_logged
from pricing.settings import Settings
from pricing.store.config import online_store_identity, open_store
from pricing.store.definitions import (
    BASE_SERVICE,
    FEATURES,
    MODEL_FEATURES,
    MODEL_TAG_FIELD,
    REALTIME_SERVICE,
    SERVING_SERVICE,
    Definitions,
    build_definitions,
    realtime_log,
)
from pricing.streaming.realtime import REALTIME_FEATURES, SALE_IDS, VIEW

if TYPE_CHECKING:
    from feast import FeatureStore, FeatureView


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
        v
        for v in definitions.views
        if v != VIEW and not (settings.features_dir / f"{v}.parquet").exists()
    ]
    if missing:
        raise NoDataError(f"feature files missing for {missing}; run `pricing features build`")
    ensure_realtime_log(settings)
    store = open_store(settings)
    store.apply(definitions.objects())
    return [obj.name for obj in definitions.objects()]


def ensure_realtime_log(settings: Settings) -> None:
    """Create the realtime view's offline log, empty, if it does not exist yet (Feast appends
    to it and reads its schema); an existing log is never touched."""
    import pyarrow as pa

    path = realtime_log(settings)
    if path.exists():
        return
    stamp = pa.timestamp("us", tz="UTC")
    schema = pa.schema(
        [
            ("product_id", pa.string()),
            ("location_id", pa.string()),
            ("event_timestamp", stamp),
            ("created_timestamp", stamp),
            *[(name, pa.float64()) for name in REALTIME_FEATURES],
            (SALE_IDS, pa.string()),
        ]
    )
    write_table_atomic(schema.empty_table(), path)


@dataclass(frozen=True)
class Materialization:
    end: pd.Timestamp
    views: list[str]
    full: list[str]  # the views among ``views`` reloaded whole


#: Per view, the online store it was last materialized into (``online_store_identity``).
LOADED_INTO = "materialized_into.json"


def materialize(
    settings: Settings, full: bool = False, reload: Collection[str] = ()
) -> Materialization:
    """Load the online store up to ``PRICING_AS_OF``, incrementally where that is enough.

    A view resumes where its last materialization ended (a view never materialized starts at
    as-of minus its ttl: Feast's own incremental mode counts from the wall clock, which is
    wrong for historical data sets). The realtime view is written by pushes alone (its log is
    its offline side), so no load touches it. A view is reloaded whole instead (its online rows
    replaced by its ttl window) when ``full``, when named in ``reload`` (model outputs
    republished at the same timestamp, which a load by time would skip), or when this online
    store is not the one it was last materialized into: Feast's registry records how far a
    view was loaded, not where, so a home switched to Redis would otherwise stay empty.
    """
    end = resolve_as_of(settings).to_pydatetime()
    store = open_store(settings)
    target = online_store_identity(settings)
    record_path = settings.feast_dir / LOADED_INTO
    loaded = json.loads(record_path.read_text()) if record_path.exists() else {}
    done, whole = [], []
    for view in store.list_feature_views():
        if view.name == VIEW:
            continue
        again = full or view.name in reload or loaded.get(view.name) != target
        start = (None if again else view.most_recent_end_time) or (end - view.ttl)
        if start.tzinfo is None:
            start = start.replace(tzinfo=end.tzinfo)
        if start >= end:
            continue
        with library_prints_logged(settings):  # Feast prints its progress
            if again:
                _clear_online(store, view)
            store.materialize(start_date=start, end_date=end, feature_views=[view.name])
        done.append(view.name)
        if again:
            whole.append(view.name)
        loaded[view.name] = target
        write_json_atomic(loaded, record_path)
    return Materialization(pd.Timestamp(end), done, whole)


def _clear_online(store: FeatureStore, view: FeatureView) -> None:
    """Drop a view's online rows, keeping its table: Redis keeps a stored row over one with
    the same timestamp, and rows outside the new window would linger, so a reload starts
    empty. Serving reads no row of the view until the reload has written it."""
    for drop, keep in (([view], []), ([], [view])):
        store.provider.update_infra(
            project=store.project,
            tables_to_delete=drop,
            tables_to_keep=keep,
            entities_to_delete=[],
            entities_to_keep=[],
            partial=True,
        )


class UnknownIdsError(NoDataError):
    """Ids the home does not sell, or sells without any feature online."""


def feature_order() -> list[str]:
    """Every feature in catalogue order (the feature services' order: views as defined, each
    view's fields as declared, a model view's tag last), so a printed table is the same on
    every run; Feast returns a view's features in set order."""
    names: list[str] = []
    for view, fields in {**FEATURES, **MODEL_FEATURES}.items():
        names += [*fields, *([MODEL_TAG_FIELD[view]] if view in MODEL_TAG_FIELD else [])]
    return [*names, *REALTIME_FEATURES, SALE_IDS]


def serving_service(store: FeatureStore) -> str:
    """The newest serving service registered: v2 (with the realtime view), v1 (base + model
    outputs, once training published them), else the base service."""
    names = {s.name for s in store.list_feature_services()}
    return next(s for s in (REALTIME_SERVICE, SERVING_SERVICE, BASE_SERVICE) if s in names)


def online_features(
    settings: Settings,
    product_ids: list[str],
    location_id: str = "all",
    service: str | None = None,
) -> pd.DataFrame:
    """Latest online features for each (product, location), one row per requested product,
    keys first, then features in ``feature_order``.

    Without ``service``: what serving reads (``serving_service``).
    """
    store = open_store(settings)
    rows = [{"product_id": p, "location_id": location_id} for p in product_ids]
    chosen = store.get_feature_service(service or serving_service(store))
    frame = pd.DataFrame(store.get_online_features(features=chosen, entity_rows=rows).to_dict())
    known = [name for name in [*KEY, *feature_order()] if name in frame.columns]
    return frame[known + sorted(set(frame.columns) - set(known))]


def known_online_features(
    settings: Settings, product_ids: list[str], location_id: str = "all"
) -> pd.DataFrame:
    """``online_features`` of products the home sells at ``location_id``, each with at least
    one feature online; otherwise UnknownIdsError names the ids, since a row of nulls reads
    like an answer."""
    home = HomeData(settings.data_dir)
    home.require_grain()
    pairs = home.read("sales", columns=KEY).drop_duplicates()
    catalogue = home.product_ids()
    problems = []
    unknown = [p for p in product_ids if p not in catalogue]
    if unknown:
        problems.append(f"unknown product {', '.join(unknown)}")
    locations = sorted(set(pairs["location_id"].astype(str)))
    if location_id not in locations:
        shown = ", ".join(locations[:5]) + (", ..." if len(locations) > 5 else "")
        problems.append(f"unknown location {location_id} (the home's: {shown})")
    else:
        here = set(pairs.loc[pairs["location_id"].astype(str) == location_id, "product_id"])
        absent = [p for p in product_ids if p in catalogue and p not in here]
        if absent:
            problems.append(f"{', '.join(absent)} not sold at location {location_id}")
    if problems:
        raise UnknownIdsError("; ".join(problems))
    frame = online_features(settings, product_ids, location_id)
    features = frame.drop(columns=KEY)
    empty = frame.loc[features.isna().all(axis=1), "product_id"].astype(str).tolist()
    if empty:
        raise UnknownIdsError(
            f"no online feature for {', '.join(empty)} at location {location_id}: run "
            "`pricing store materialize` (`--full` reloads every view)"
        )
    return frame


def apply_and_snapshot(settings: Settings) -> str:
    """Register the current definitions, then take a training snapshot of the base features."""
    from pricing.store.snapshots import create_snapshot

    apply(settings)
    return create_snapshot(settings).snapshot
