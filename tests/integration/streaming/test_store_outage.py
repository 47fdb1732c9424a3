"""Redis (the online store) going away mid-stream loses nothing: the consumers pause, say so
in their status, commit nothing meanwhile, and carry on from the same batch once Redis is back
on the same port (with its append-only file, as a restarted production Redis comes back), so
the online state is the fold of every event and the log's aggregates equal batch. Two members
share the stream, as a scaled-out deployment runs: they append to one offline log, and one of
them leaves the group while paused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pricing.processes import stop_process
from pricing.streaming.consumer import RETRY_CAP
from tests.integration.commands import cli_json, stop_by_signal, wait_for
from tests.integration.streaming.streams import (
    Publisher,
    assert_log_matches_batch,
    assert_online_state,
    committed,
    consumer_env,
    final_states,
    history,
    last_json,
    start_consumer,
    wait_committed,
    wait_status,
)
from tests.services import PrivateRedis, private_redis

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path / "redis", persistent=True) as server:
        yield server


def test_a_redis_outage_pauses_the_consumers_and_loses_nothing(stream_home, redis_server, tmp_path):
    """Two members share a paced replay; Redis stops (SIGTERM) mid-stream and both pause.
    While paused, one member stops (an operator scaling down), so the other is given its
    partitions; Redis comes back on the same port a few seconds later."""
    settings = stream_home(
        products=4,
        days=60,
        kafka={"batch_max_events": 50},
        online_store="redis",
        redis_url=redis_server.url,
    )
    tables, events = history(settings, periods=None)
    logs = [tmp_path / "stays.log", tmp_path / "leaves.log"]
    # both write the home's one status file, so each member's own output tells its state
    members = [start_consumer(settings, log, "--json") for log in logs]
    stays, leaves = members
    try:
        wait_status(settings, lambda s: bool(s["lag"]), 90, "a member with partitions", logs[0])
        publisher = Publisher(settings, events, rate=len(events) / 10)
        publisher.start()
        wait_for(lambda: committed(settings) >= 200 or None, 30, "consumption", logs[0])
        redis_server.stop()
        assert publisher.is_alive(), "the stream ended before the outage: publish slower"
        for log in logs:
            wait_for(lambda log=log: "paused: store" in log.read_text() or None, 30, "a pause", log)
        reported = cli_json(consumer_env(settings), "stream", "status")
        assert reported["state"].startswith("paused: store unreachable"), reported
        stop_by_signal(leaves)  # a stop signal ends a paused member too
        assert leaves.returncode == 0, logs[1].read_text()[-3000:]
        time.sleep(RETRY_CAP + 1)  # the paused member polls meanwhile: the group rebalances
        redis_server.start()
        publisher.finish(90)
        wait_committed(settings, len(events), logs[0])
        stop_by_signal(stays)
        assert stays.returncode == 0, logs[0].read_text()[-3000:]
    finally:
        for member in members:
            stop_process(member)
    stayed, left = (last_json(log)["consumed"] for log in logs)
    # The leaver held a batch when it paused; whether it had pushed one before the outage is
    # timing (its share may be 0, the batch it held going to the other member).
    assert stayed > 0 and stayed + left >= len(events), (stayed, left)
    assert_online_state(settings, final_states(settings, events))
    assert_log_matches_batch(settings, tables)
