"""Every served decision, appended to Parquet in batches by a background thread.

The request path turns its decisions' features and response into JSON and appends them to an
in-memory list (no thread wake-up, no I/O); a writer thread swaps the list out every
``interval_s`` and writes one Parquet file per batch (``date=YYYY-MM-DD/part-<time>-<n>.parquet``)
with pyarrow, which releases the GIL while it writes. Nothing long holds the GIL off the
request path's turn.

No decision is dropped on the way out: ``close`` (the service's shutdown hook) waits for the
batch being written and writes what is left; a process that exits without it (a forced quit
skips BentoML's shutdown hooks) still writes its buffer from an ``atexit`` hook; a record
logged after ``close`` is written at once; a batch that fails to write is kept for the next
one, and the failure logged, instead of killing the writer and every later decision with it.
A process killed by a signal it does not handle (SIGKILL; a SIGTERM after a forced quit,
once uvicorn has put the default handlers back) loses at most the last interval.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.pandas_compat  # pyarrow imports it lazily, which fails in an atexit hook
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)


def serialized(record: dict[str, Any]) -> dict[str, Any]:
    """A record as stored: ``features`` (without their timestamps) and ``response`` as JSON."""
    used = {k: v for k, v in record["features"].items() if not k.endswith("__ts")}
    features = json.dumps(used, default=str)
    return {**record, "features": features, "response": json.dumps(record["response"], default=str)}


class DecisionLog:
    """A buffer in front of a Parquet writer; ``close`` flushes what is left."""

    def __init__(self, directory: Path, interval_s: float = 2.0) -> None:
        self.directory = Path(directory)
        self.interval_s = interval_s
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # guards _pending
        self._writing = threading.Lock()  # one batch written at a time, in order (and _files)
        self._stop = threading.Event()
        self._files = 0
        # A daemon, so a process that never closes the log can still exit; the atexit hook
        # runs before the interpreter stops daemon threads, and writes what they held.
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def log(self, records: list[dict[str, Any]], request_id: str) -> None:
        """Queue decision records; ``features`` and ``response`` (dicts) become JSON columns."""
        now = datetime.now(UTC)
        # Serialized here, a few tens of microseconds a decision, rather than by the writer:
        # a writer turning two seconds of decisions into JSON at once holds the GIL for tens
        # of milliseconds, which stalled every request in flight (p99 at 200 req/s: 107 ms
        # with it, 11 ms without the log; `pricing bench serve`).
        stamped = [serialized({"logged_at": now, "request_id": request_id, **r}) for r in records]
        with self._lock:
            self._pending.extend(stamped)
        if self._stop.is_set():  # closed: no writer left to pick them up
            self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.flush()

    def flush(self) -> None:
        """Write what is pending as one file; on failure keep it pending (and log why)."""
        with self._writing:
            with self._lock:
                records, self._pending = self._pending, []
            if not records:
                return
            self._files += 1
            number = self._files
            try:
                self._write(records, number)
            except Exception:
                logger.exception("decision log: %d decisions not written yet", len(records))
                with self._lock:
                    self._pending[:0] = records

    def _write(self, records: list[dict[str, Any]], number: int) -> None:
        table = pa.Table.from_pylist(records)
        day = records[0]["logged_at"].strftime("%Y-%m-%d")
        path = self.directory / f"date={day}" / f"part-{time.time_ns()}-{number:06d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)  # readers never see half a file

    def close(self) -> None:
        """Stop the writer once it has finished the batch it is writing, then write the rest."""
        self._stop.set()
        self._thread.join()
        self.flush()
        atexit.unregister(self.close)


def read_decisions(directory: Path) -> pd.DataFrame:
    """All logged decisions, oldest first (empty when nothing was logged)."""
    files = sorted(Path(directory).glob("date=*/part-*.parquet"))
    if not files:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return frame.sort_values("logged_at", kind="stable").reset_index(drop=True)
