"""A canonical table as a Parquet dataset partitioned by month, replaced atomically.

Layout under the home's ``data/``::

    sales -> .versions/sales/<version>          (a symlink: the table's current version)
    .versions/sales/<version>/month=2024-01/part-0.parquet
    .versions/sales/<version>/month=2024-02/part-0.parquet

A commit writes a new version directory: partitions whose rows did not change are hard links
to the previous version's files (byte-identical, no copy), changed or new ones are written,
then the symlink is swapped by one ``rename``. A reader sees the old version or the new one,
never a mix, and an interrupted commit leaves the current version as it was.

Partitions are calendar months of the period start (``date``): one file per period would make
thousands of tiny files in a daily home (the small-files problem of Spark and Parquet readers
alike), while a month still keeps a new period's ingest to the partition it falls in. Every
file holds all of the table's columns, so it is readable on its own, by pandas or by Spark
given the file list (no partition discovery needed).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PART_FILE = "part-0.parquet"
VERSIONS_DIR = ".versions"
#: Partition of a table without a date (products): the version directory itself.
WHOLE = ""
#: A dated partition's name: the calendar month its periods start in.
MONTH_FORMAT = "month=%Y-%m"
MONTH_GLOB = "month=*"


def month_numbers(stamps: pd.Series) -> np.ndarray:
    """Each timestamp's month as one integer (year * 12 + month - 1), for month arithmetic."""
    dates = pd.DatetimeIndex(stamps)
    return np.asarray(dates.year * 12 + dates.month - 1, dtype="int64")


def month_name(number: int) -> str:
    """The partition of a month number (:func:`month_numbers`)."""
    return pd.Timestamp(year=number // 12, month=number % 12 + 1, day=1).strftime(MONTH_FORMAT)


def month_bounds(name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last instant (UTC) of a month partition."""
    start = pd.to_datetime(name, format=MONTH_FORMAT, utc=True)
    return start, start + pd.offsets.MonthBegin(1) - pd.Timedelta(microseconds=1)


def month_partitions(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Month partition name -> the rows whose period starts in that month (order kept)."""
    if "date" not in frame.columns:
        return {WHOLE: frame}
    if frame.empty:
        return {}
    months = frame["date"].dt.strftime(MONTH_FORMAT)
    return {
        str(month): rows.reset_index(drop=True) for month, rows in frame.groupby(months, sort=True)
    }


def write_partition_file(frame: pd.DataFrame, path: Path) -> None:
    """Parquet with microsecond timestamps, which Spark reads (not pandas' nanoseconds)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, coerce_timestamps="us", allow_truncated_timestamps=True)


class PartitionedTable:
    """One table of a home: its current version's partitions, read and replaced atomically."""

    def __init__(self, data_dir: Path, name: str) -> None:
        self.name = name
        self.path = data_dir / name
        self.versions = data_dir / VERSIONS_DIR / name

    def exists(self) -> bool:
        return self.path.is_dir()

    def partitions(self) -> dict[str, Path]:
        """Partition name -> its file, in the current version (empty if never written)."""
        if not self.exists():
            return {}
        root = self.path.resolve()
        found = {WHOLE: root / PART_FILE} if (root / PART_FILE).exists() else {}
        for part in sorted(root.glob(f"{MONTH_GLOB}/{PART_FILE}")):
            found[part.parent.name] = part
        return found

    def files(self) -> list[Path]:
        """The current version's Parquet files, for readers given a file list (Spark)."""
        return list(self.partitions().values())

    def read(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """Every partition's rows, or None if the table was never written."""
        files = self.files()
        if not files:
            return None
        tables = [pq.read_table(f, columns=columns) for f in files]
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()

    def read_partition(self, part: str) -> pd.DataFrame | None:
        """One partition's rows, or None if the current version has no such partition."""
        path = self.partitions().get(part)
        return None if path is None else pq.read_table(path).to_pandas()

    def writer(self, keep_others: bool = True) -> VersionWriter:
        """A new version being written; ``keep_others``: partitions it does not write are
        linked from the current version (else the new version holds only what it writes)."""
        return VersionWriter(self, keep_others)

    def _point_at(self, version: Path) -> None:
        """Swap the table's symlink to ``version`` in one rename (atomic on POSIX)."""
        link = self.path.with_name(f".{self.name}.link")
        link.unlink(missing_ok=True)
        link.symlink_to(version.relative_to(self.path.parent))
        os.replace(link, self.path)

    def _prune(self) -> None:
        """Drop versions older than the previous one (a reader may still be reading that)."""
        versions = sorted(p for p in self.versions.glob("v*") if p.is_dir())
        for old in versions[:-2]:
            shutil.rmtree(old, ignore_errors=True)


class VersionWriter:
    """Writes a table's next version beside the current one, then swaps it in (``commit``) or
    removes it (``abort``); readers see the current version until the swap."""

    def __init__(self, table: PartitionedTable, keep_others: bool) -> None:
        self.table = table
        self.keep_others = keep_others
        self.current = table.partitions()
        self.version = table.versions / f"v{time.time_ns()}"
        self.staging = self.version.with_name(f".{self.version.name}.tmp")
        self.staging.mkdir(parents=True)
        self.written: list[str] = []
        self.kept: set[str] = set()

    def write(self, part: str, frame: pd.DataFrame, old: pd.DataFrame | None = None) -> None:
        """The partition's rows in the new version; equal to ``old`` (its current rows), the
        current file is linked instead, byte-identical. An empty frame drops the partition."""
        if old is not None and part in self.current and old.equals(frame):
            self._link(part)
        elif not frame.empty or part == WHOLE:
            write_partition_file(frame, self.staging / part / PART_FILE)
            self.written.append(part or self.table.name)
        self.kept.add(part)

    def _link(self, part: str) -> None:
        target = self.staging / part / PART_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(self.current[part], target)

    def commit(self) -> list[str]:
        """Link what was not written (when keeping others), swap the version in; returns the
        partitions written."""
        try:
            if self.keep_others:
                for part in self.current.keys() - self.kept:
                    self._link(part)
            os.replace(self.staging, self.version)
            self.table._point_at(self.version)
        except BaseException:
            self.abort()
            raise
        self.table._prune()
        return self.written

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
