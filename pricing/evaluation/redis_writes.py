"""The bare Redis write ceiling the benchmarks measure Feast's writes against: pipelined HSETs
of rows shaped like Feast's, under keys of the run's own that are deleted afterwards."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

#: A Redis hash as Feast writes one: (key, {field: serialized value}).
HashRow = tuple[bytes, Mapping[bytes | str, bytes]]


def hset_rate(url: str, rows: Sequence[HashRow], batch: int, label: str) -> float:
    """Rows per second of ``rows`` written by HSET, ``batch`` per pipeline; each key gets the
    prefix ``pricing-bench-<label>:<run>:`` so nothing of anyone else's is touched."""
    import redis

    client = redis.Redis.from_url(url)
    prefix = f"pricing-bench-{label}:{uuid.uuid4().hex[:8]}:".encode()
    try:
        started = time.perf_counter()
        for at in range(0, len(rows), batch):
            with client.pipeline(transaction=False) as pipe:
                for key, mapping in rows[at : at + batch]:
                    pipe.hset(prefix + key, mapping=mapping)  # type: ignore[arg-type]  # bytes keys, as Feast's
                pipe.execute()
        return len(rows) / (time.perf_counter() - started)
    finally:
        delete_matching(client, prefix + b"*")
        client.close()


def delete_matching(client: Redis, pattern: bytes) -> int:
    """Delete every key matching ``pattern`` (SCAN, then DEL a thousand at a time); how many."""
    keys = list(client.scan_iter(match=pattern, count=1000))
    for at in range(0, len(keys), 1000):
        client.delete(*keys[at : at + 1000])
    return len(keys)
