"""The canonical tables of one ``PRICING_HOME``: read, and replace atomically.

Nothing is written until the whole batch is valid, and each file is written to a temporary
path and moved into place, so a rejected or interrupted ingest never leaves half a table.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pricing.data.schemas import TABLES, conform, empty_table

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


class HomeData:
    """Canonical tables and metadata stored under ``<home>/data``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def table_path(self, name: str) -> Path:
        return self.data_dir / f"{name}.parquet"

    def exists(self) -> bool:
        return self.table_path("sales").exists()

    def read(self, name: str) -> pd.DataFrame:
        """One canonical table (empty with the right columns if never written)."""
        path = self.table_path(name)
        if not path.exists():
            return empty_table(name)
        return conform(pd.read_parquet(path), name)

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

    def replace(self, tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> None:
        """Write every table (already validated and merged), then the metadata last."""
        for name, frame in tables.items():
            write_parquet_atomic(conform(frame, name), self.table_path(name))
        write_json_atomic(meta, self.data_dir / META_FILE)

    def product_ids(self) -> set[str]:
        """Every product the home knows: its products table and the products it has sold."""
        ids = set(self.read("products")["product_id"].astype(str))
        return ids | set(self.read("sales")["product_id"].astype(str))

    def latest_event_time(self) -> pd.Timestamp | None:
        sales = self.read("sales")
        if sales.empty:
            return None
        return sales["event_timestamp"].max()
