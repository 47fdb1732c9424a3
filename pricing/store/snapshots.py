"""Training snapshots: point-in-time correct features persisted as Feast saved datasets.

An entity row is a period's START (the moment a price is set for it), so the join only sees
aggregates stamped at or before that moment. The label columns (units_sold, price, promo,
stockout) ride along. Rows are sorted deterministically and content-hashed; the id derives
from the hash, so the same features always give the same snapshot.

``training_frame`` computes the same rows in memory from the canonical tables (features by
the feature engine, the join as Feast's offline store does it), persisting nothing: for
evaluations that must not touch the home's feature files or Feast registry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from feast.infra.offline_stores.offline_store import RetrievalJob, RetrievalMetadata
from feast.saved_dataset import SavedDataset, SavedDatasetStorage

from pricing.clock import resolve_as_of
from pricing.data.grain import ttl_periods
from pricing.data.home import HomeData, NoDataError, write_parquet_atomic
from pricing.data.schemas import KEY
from pricing.features.calendar import calendar_features
from pricing.features.engine import PandasEngine
from pricing.settings import Settings
from pricing.store.config import open_offline_store, open_store
from pricing.store.definitions import BASE_SERVICE, FEATURES, TTL_PERIODS
from pricing.store.storage import stored_path

LABELS = ["units_sold", "price", "promo", "stockout"]


class FrameRetrievalJob(RetrievalJob):
    """A retrieval job over an already computed (sorted) frame, so Feast persists exactly it,
    as one Parquet file whichever offline store's storage it is given."""

    def __init__(self, frame: pd.DataFrame, metadata: RetrievalMetadata | None) -> None:
        self._frame = frame
        self._metadata = metadata

    @property
    def full_feature_names(self) -> bool:
        return False

    @property
    def on_demand_feature_views(self) -> list:
        return []

    @property
    def metadata(self) -> RetrievalMetadata | None:
        return self._metadata

    def _to_df_internal(self, timeout: int | None = None) -> pd.DataFrame:
        return self._frame.copy()

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        return pa.Table.from_pandas(self._frame, preserve_index=False)

    def persist(
        self,
        storage: SavedDatasetStorage,
        allow_overwrite: bool | None = False,
        timeout: int | None = None,
    ) -> None:
        path = stored_path(storage)
        if path is None:
            raise ValueError(f"a snapshot is saved as a file, not in {type(storage).__name__}")
        write_parquet_atomic(self._frame, Path(path))


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot: str
    rows: int
    hash: str
    path: str

    def as_dict(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "rows": self.rows, "hash": self.hash}


def entity_rows(sales: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per observed period whose outcome is known by ``as_of``."""
    known = sales[sales["observed"] & (sales["event_timestamp"] <= as_of)]
    frame = known[[*KEY, "date", *LABELS]].rename(columns={"date": "event_timestamp"})
    return frame.reset_index(drop=True)


def content_hash(frame: pd.DataFrame) -> str:
    """sha256 over column names and row hashes: equal frames, equal hash."""
    digest = hashlib.sha256("|".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def snapshot_rows(joined: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Joined features + labels -> a snapshot's rows: calendar added, keys and labels first,
    features sorted by name, rows in a deterministic order, timestamps in microseconds UTC."""
    frame = pd.concat([joined, calendar_features(joined["event_timestamp"], grain)], axis=1)
    frame = frame.sort_values([*KEY, "event_timestamp"], kind="stable").reset_index(drop=True)
    frame = frame[
        [
            *KEY,
            "event_timestamp",
            *LABELS,
            *sorted(c for c in frame.columns if c not in {*KEY, "event_timestamp", *LABELS}),
        ]
    ]
    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    return frame


def point_in_time_join(
    entities: pd.DataFrame, tables: dict[str, pd.DataFrame], grain: str
) -> pd.DataFrame:
    """The base service's features joined onto ``entities`` in memory, as Feast's offline
    store joins them: per view, the latest row stamped at or before the entity row and no
    older than the view's ttl (ties broken by the later ``created_timestamp``), else NaN."""
    frame = entities.sort_values("event_timestamp", kind="stable").reset_index(drop=True)
    for view, features in FEATURES.items():
        stamps = ["event_timestamp", "created_timestamp"]
        rows = tables[view][[*KEY, *stamps, *features]].sort_values(stamps, kind="stable")
        frame = pd.merge_asof(
            frame,
            rows.drop(columns="created_timestamp"),
            on="event_timestamp",
            by=KEY,
            tolerance=ttl_periods(grain, TTL_PERIODS[view]),
            direction="backward",
        )
    return frame


def training_frame(settings: Settings) -> pd.DataFrame:
    """The rows ``create_snapshot`` would save for the home now, computed in memory from its
    canonical tables: neither feature files, Feast objects nor a saved dataset are written."""
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    tables = home.read_all()
    features = PandasEngine().build(tables, grain)
    entities = entity_rows(tables["sales"], resolve_as_of(settings, home))
    frame = snapshot_rows(point_in_time_join(entities, features, grain), grain)
    return frame.astype(dict.fromkeys(KEY, object))  # the keys' dtype a stored snapshot reads back


def create_snapshot(settings: Settings) -> SnapshotInfo:
    """Historical features over the base service -> sorted, hashed, saved dataset."""
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    as_of = resolve_as_of(settings, home)
    store = open_offline_store(settings)
    service = store.get_feature_service(BASE_SERVICE)
    job = store.get_historical_features(
        entity_df=entity_rows(home.read("sales"), as_of), features=service
    )
    frame = snapshot_rows(job.to_df(), grain)
    digest = content_hash(frame)
    name = f"snap_{digest[:12]}"
    path = settings.snapshots_dir / f"{name}.parquet"
    tags = {
        "hash": digest,
        "rows": str(len(frame)),
        "as_of": as_of.isoformat(),
        "grain": grain,
        "created_at": pd.Timestamp.now(tz="UTC").isoformat(),
    }
    store.create_saved_dataset(
        from_=FrameRetrievalJob(frame, job.metadata),
        name=name,
        storage=settings.offline_store.saved_dataset_storage(path),
        tags=tags,
        feature_service=service,
        allow_overwrite=True,
    )
    return SnapshotInfo(name, len(frame), digest, str(path))


def list_snapshots(settings: Settings) -> list[dict[str, Any]]:
    store = open_store(settings)
    found = [
        {"snapshot": ds.name, **dict(ds.tags), "feature_service": ds.feature_service_name}
        for ds in store.list_saved_datasets()
    ]
    return sorted(found, key=lambda row: row.get("created_at", ""))


class SnapshotNotFoundError(NoDataError):
    """The home's registry holds no snapshot of that id."""


def saved_dataset(settings: Settings, snapshot: str) -> SavedDataset:
    """The snapshot's registry record, read from the registry alone: Feast's
    ``get_saved_dataset`` also opens it on the configured store, which fails for a snapshot
    saved by another store (``pricing.store.storage``), and rows are read from the file."""
    from feast.errors import SavedDatasetNotFound

    store = open_store(settings)
    try:
        return store.registry.get_saved_dataset(snapshot, store.project)
    except SavedDatasetNotFound:
        raise SnapshotNotFoundError(
            f"no snapshot {snapshot} in {settings.home_dir}; `pricing snapshot list` lists them"
        ) from None


def show_snapshot(settings: Settings, snapshot: str) -> dict[str, Any]:
    ds = saved_dataset(settings, snapshot)
    return {
        "snapshot": ds.name,
        "feature_service": ds.feature_service_name,
        "features": list(ds.features),
        "join_keys": list(ds.join_keys),
        "path": stored_at(ds),
        "min_event_timestamp": str(ds.min_event_timestamp),
        "max_event_timestamp": str(ds.max_event_timestamp),
        **dict(ds.tags),
    }


class SnapshotIntegrityError(RuntimeError):
    """A snapshot's stored rows no longer match the hash recorded when it was created."""


def stored_at(dataset: SavedDataset) -> str:
    """The file a snapshot's rows are stored in (``create_snapshot`` always saves a file, in
    a file or a Spark storage by the offline store)."""
    path = stored_path(dataset.storage)
    if path is None:
        raise SnapshotIntegrityError(f"snapshot {dataset.name}: not stored as a file")
    return path


def load_snapshot(settings: Settings, snapshot: str, verify: bool = True) -> pd.DataFrame:
    """The snapshot's rows (labels included) from the saved dataset's storage, hash-checked.

    Feast's own ``SavedDataset.to_df`` re-selects only keys and features, dropping labels, so
    the stored file is read directly.
    """
    dataset = saved_dataset(settings, snapshot)
    frame = pd.read_parquet(stored_at(dataset))
    if verify and content_hash(frame) != dataset.tags.get("hash"):
        raise SnapshotIntegrityError(
            f"snapshot {snapshot}: stored rows do not match the recorded hash; recreate it"
        )
    return frame
