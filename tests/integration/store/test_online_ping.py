"""The online stores' ping: quick either way, never the client retries that a failed Feast
read sits through (the stream consumer waits on it while the store is down)."""

from __future__ import annotations

import time

import pytest

from pricing.processes import free_port
from pricing.store.backends import RedisOnlineStore, SqliteOnlineStore

pytestmark = pytest.mark.integration


def test_a_running_redis_answers(redis_url):
    assert RedisOnlineStore(url=redis_url).unreachable(1.0) is None


def test_a_stopped_redis_is_named_at_once():
    store = RedisOnlineStore(url=f"redis://127.0.0.1:{free_port()}/0")
    began = time.monotonic()
    problem = store.unreachable(1.0)
    assert time.monotonic() - began < 1.0
    assert problem is not None and problem.startswith("ConnectionError"), problem


def test_a_sqlite_store_is_always_there():
    assert SqliteOnlineStore().unreachable(1.0) is None
