"""Every served decision, appended to Parquet in batches by a background thread.

The request path only appends records to an in-memory list (no thread wake-up, no I/O); a
writer thread swaps the list out every ``interval_s`` and writes one Parquet file per batch
(``date=YYYY-MM-DD/part-<time>-<n>.parquet``) with pyarrow, which releases the GIL while it
writes. Logging never slows a response, and a crash loses at most the last interval, never an
earlier file.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class DecisionLog:
    """A buffer in front of a Parquet writer; ``close`` flushes what is left."""

    def __init__(self, directory: Path, interval_s: float = 2.0) -> None:
        self.directory = Path(directory)
        self.interval_s = interval_s
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._files = 0
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._thread.start()

    def log(self, records: list[dict[str, Any]], request_id: str) -> None:
        """Queue decision records; ``features`` and ``response`` (dicts) become JSON columns."""
        now = datetime.now(UTC)
        stamped = [{"logged_at": now, "request_id": request_id, **r} for r in records]
        with self._lock:
            self._pending.extend(stamped)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.flush()
        self.flush()

    def flush(self) -> None:
        with self._lock:
            records, self._pending = self._pending, []
        if not records:
            return
        for record in records:  # serialized here, not on the request path
            used = {k: v for k, v in record["features"].items() if not k.endswith("__ts")}
            record["features"] = json.dumps(used, default=str)
            record["response"] = json.dumps(record["response"], default=str)
        table = pa.Table.from_pylist(records)
        day = records[0]["logged_at"].strftime("%Y-%m-%d")
        self._files += 1
        path = self.directory / f"date={day}" / f"part-{time.time_ns()}-{self._files:06d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)  # readers never see half a file

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def read_decisions(directory: Path) -> pd.DataFrame:
    """All logged decisions, oldest first (empty when nothing was logged)."""
    files = sorted(Path(directory).glob("date=*/part-*.parquet"))
    if not files:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return frame.sort_values("logged_at", kind="stable").reset_index(drop=True)
