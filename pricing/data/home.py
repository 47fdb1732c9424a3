"""The canonical tables of one ``PRICING_HOME``: read, and replace atomically.

Nothing is written until the whole batch is valid. Each table is a month-partitioned Parquet
dataset (``pricing.data.partitioned``): a commit rewrites only the partitions whose rows
changed, links the others, and swaps the table's version in one rename, so a rejected or
interrupted ingest never leaves half a table and earlier months stay byte-identical.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pricing.data.partitioned import PartitionedTable, VersionWriter, month_partitions
from pricing.data.schemas import TABLE_KEYS, TABLES, conform, empty_table

META_FILE = "meta.json"


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write Parquet with microsecond timestamps (Spark-readable), then rename into place."""
    write_table_atomic(pa.Table.from_pandas(frame, preserve_index=False), path)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """``write_parquet_atomic`` for an Arrow table (its schema kept as is, even when empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, coerce_timestamps="us", allow_truncated_timestamps=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(payload: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True, default=str)
    os.replace(tmp, path)


class NoDataError(RuntimeError):
    """A stage needs data that the home does not hold yet."""


@dataclass
class NewVersions:
    """The tables being rewritten by :meth:`HomeData.new_versions`, and once committed, the
    partitions each one wrote."""

    writers: dict[str, VersionWriter]
    written: dict[str, list[str]] = field(default_factory=dict)


class HomeData:
    """Canonical tables and metadata stored under ``<home>/data``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def table(self, name: str) -> PartitionedTable:
        return PartitionedTable(self.data_dir, name)

    def table_path(self, name: str) -> Path:
        """The table's dataset directory (a symlink to its current version)."""
        return self.table(name).path

    def legacy_path(self, name: str) -> Path:
        """Where homes written before partitioning kept the table: one file, read until the
        next write converts it."""
        return self.data_dir / f"{name}.parquet"

    def files(self, name: str) -> list[Path]:
        """The Parquet files of the table's current version (each holds all its columns)."""
        legacy = self.legacy_path(name)
        if not self.table(name).exists() and legacy.exists():
            return [legacy]
        return self.table(name).files()

    def exists(self) -> bool:
        return bool(self.files("sales"))

    def read(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One canonical table in key order (empty with the right columns if never written);
        ``columns`` reads only those (not conformed)."""
        files = self.files(name)
        if not files:
            return empty_table(name) if columns is None else empty_table(name)[columns]
        if files == [self.legacy_path(name)]:
            frame = pd.read_parquet(files[0], columns=columns)
        else:
            frame = self.table(name).read(columns)
        if columns is not None:
            return frame
        frame = conform(frame, name)
        return frame.sort_values(TABLE_KEYS[name], kind="stable").reset_index(drop=True)

    def read_partition(self, name: str, part: str) -> pd.DataFrame:
        """One partition of a table, in key order (empty when the table has no such part)."""
        frame = self.table(name).read_partition(part)
        if frame is None:
            return empty_table(name)
        frame = conform(frame, name)
        return frame.sort_values(TABLE_KEYS[name], kind="stable").reset_index(drop=True)

    def read_all(self) -> dict[str, pd.DataFrame]:
        return {name: self.read(name) for name in TABLES}

    def meta(self) -> dict[str, Any]:
        path = self.data_dir / META_FILE
        return json.loads(path.read_text()) if path.exists() else {}

    @property
    def grain(self) -> str | None:
        return self.meta().get("grain")

    def require_grain(self) -> str:
        """The home's grain, or a clear error: an empty home says so, it never assumes daily."""
        grain = self.grain
        if grain is None or not self.exists():
            raise NoDataError(
                f"{self.data_dir.parent} holds no data; run `pricing data generate` or "
                "`pricing data ingest` first"
            )
        return grain

    @contextmanager
    def new_versions(
        self, names: Iterable[str], keep_others: bool, meta: Mapping[str, Any]
    ) -> Iterator[NewVersions]:
        """A next version of each named table, written in the block beside the current one.
        When the block ends, every table is swapped in and then the metadata (``written``
        names the partitions written); when it raises, every writer is aborted and the home
        is left as it was."""
        versions = NewVersions({name: self.table(name).writer(keep_others) for name in names})
        try:
            yield versions
        except BaseException:
            for writer in versions.writers.values():
                writer.abort()
            raise
        versions.written = {name: writer.commit() for name, writer in versions.writers.items()}
        for name in versions.writers:
            self.legacy_path(name).unlink(missing_ok=True)
        write_json_atomic(meta, self.data_dir / META_FILE)

    def replace(
        self, tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]
    ) -> dict[str, list[str]]:
        """Every table replaced whole (a generated or benchmark home), atomically per table."""
        with self.new_versions(tables, False, meta) as versions:
            for name, frame in tables.items():
                for part, rows in month_partitions(conform(frame, name)).items():
                    versions.writers[name].write(part, rows)
        return versions.written

    def product_ids(self) -> set[str]:
        """Every product the home knows: its products table and the products it has sold."""
        ids = set(self.read("products")["product_id"].astype(str))
        return ids | set(self.read("sales")["product_id"].astype(str))

    def latest_event_time(self) -> pd.Timestamp | None:
        stamps = self.read("sales", columns=["event_timestamp"])["event_timestamp"]
        return None if stamps.empty else pd.Timestamp(stamps.max())
