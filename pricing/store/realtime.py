"""The realtime view in Feast: read series' states online, push folded rows.

A push writes the offline log first, then the online store (Feast's ``ONLINE_AND_OFFLINE``
mode does the reverse). A crash between the two then leaves the log complete: the redelivered
batch folds from the old online state into the same rows, rewrites them online and only
repeats rows in the log, which the rebuild reads as one.

Feast appends to the Parquet log by reading it whole and writing it back, so the members of a
consumer group on one home take turns at it (a lock file beside the log): two appending at
once would lose one's rows, or fail on DuckDB's lock of its temporary file.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from pricing.settings import Settings
from pricing.store.config import open_store
from pricing.store.definitions import realtime_log
from pricing.streaming.realtime import (
    PUSH_SOURCE,
    REALTIME_FEATURES,
    SALE_IDS,
    VIEW,
    Key,
    State,
    state_from_row,
)

FEATURE_REFS = [f"{VIEW}:{name}" for name in [*REALTIME_FEATURES, SALE_IDS]]
#: How long a ping of the online store may take while the consumer waits for it.
PING_TIMEOUT_S = 1.0


@contextlib.contextmanager
def _appending(log: Path) -> Iterator[None]:
    """Hold the log's lock (other consumers of the home wait) while appending to it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log.with_name(log.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class RealtimeStore:
    """One long-lived Feast store for the consumer."""

    def __init__(self, settings: Settings) -> None:
        self.store = open_store(settings)
        self.log = realtime_log(settings)
        self.online = settings.online_store

    def unreachable(self) -> str | None:
        """Why the online store does not answer a ping now (None: it does); quick, unlike a
        failed read or push through Feast's client."""
        return self.online.unreachable(PING_TIMEOUT_S)

    def read(self, keys: Sequence[Key]) -> dict[Key, State]:
        if not keys:
            return {}
        rows = [{"product_id": p, "location_id": loc} for p, loc in keys]
        columns = self.store.get_online_features(features=FEATURE_REFS, entity_rows=rows).to_dict()
        return {
            key: state_from_row({name: values[i] for name, values in columns.items()})
            for i, key in enumerate(keys)
        }

    def push(self, rows: Sequence[State]) -> None:
        from feast.data_source import PushMode

        if not rows:
            return
        frame = pd.DataFrame(list(rows))
        micros = (frame["realtime_row_time"] * 1e6).round().astype("int64")
        frame["event_timestamp"] = pd.to_datetime(micros, unit="us", utc=True)
        frame["created_timestamp"] = pd.Timestamp.now(tz="UTC").floor("us")
        frame[SALE_IDS] = frame[SALE_IDS].astype(str)
        with _appending(self.log):
            self.store.push(PUSH_SOURCE, frame, to=PushMode.OFFLINE)
        self.store.push(PUSH_SOURCE, frame, to=PushMode.ONLINE)
