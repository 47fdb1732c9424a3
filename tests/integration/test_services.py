"""The service helpers start a private Redis when the configured one does not answer."""

from __future__ import annotations

import pytest
import redis

from pricing.processes import free_port
from tests.services import redis_service

pytestmark = pytest.mark.integration


def test_private_redis_is_started_when_configured_one_is_down():
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with redis_service(closed) as url:
        assert url != closed
        client = redis.Redis.from_url(url)
        assert client.ping()
        client.set("k", "v")
        assert client.get("k") == b"v"
