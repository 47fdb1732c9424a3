"""A consumer killed mid-stream (SIGKILL: no clean shutdown, no commit, maybe half a push)
loses nothing when restarted, and what it redelivers changes nothing: the online state is the
fold of every event published, the log's aggregates still equal batch, and events published
twice are counted once."""

from __future__ import annotations

import os
import signal

import pytest

from pricing.processes import stop_process
from tests.integration.streaming.streams import (
    Publisher,
    assert_log_matches_batch,
    assert_online_state,
    chunks,
    final_states,
    history,
    last_json,
    start_consumer,
    status,
    wait_ready,
    wait_status,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Small micro-batches, so a kill lands between many commits.
BATCH = 50
#: Paced publishing keeps the stream going while the test watches the consumer.
RATE = 400.0


def _kill_mid_stream(settings, consumer, publisher, log, after: int) -> dict:
    """SIGKILL the consumer once it has consumed ``after`` events while more are on their
    way (still being published, or behind it in the topics); its last status."""
    pid = consumer.pid
    seen = wait_status(
        settings, lambda s: s["pid"] == pid and s["consumed"] >= after, 90, "consumption", log
    )
    os.kill(pid, signal.SIGKILL)
    consumer.wait(timeout=10)
    assert publisher.is_alive() or seen["lag_total"] > 0, "killed after the stream had ended"
    assert status(settings)["state"].startswith("dead")
    return seen


def test_killed_consumer_restarts_without_loss_or_double_counting(stream_home, tmp_path):
    settings = stream_home(products=6, days=100, kafka={"batch_max_events": BATCH})
    tables, events = history(settings, periods=None)
    first, second, third, fourth = chunks(events, 4)
    logs = [tmp_path / f"consumer-{run}.log" for run in (1, 2, 3)]
    started = []
    try:
        # killed while the first two chunks stream in
        started.append(consumer := start_consumer(settings, logs[0]))
        wait_ready(settings, consumer.pid, logs[0])
        publisher = Publisher(settings, first + second, RATE)
        publisher.start()
        seen = _kill_mid_stream(settings, consumer, publisher, logs[0], after=2 * BATCH)
        assert seen["consumed"] < len(first + second)
        publisher.finish(60)

        # the third chunk waits while no consumer runs; the next one is killed again while it
        # works through that backlog and the fourth chunk streams in
        Publisher(settings, third).run()
        started.append(consumer := start_consumer(settings, logs[1]))
        wait_ready(settings, consumer.pid, logs[1])
        publisher = Publisher(settings, fourth, RATE)
        publisher.start()
        _kill_mid_stream(settings, consumer, publisher, logs[1], after=len(third) // 2)
        publisher.finish(60)

        # the last run drains; the first chunk comes again, as a replay run twice sends it
        started.append(consumer := start_consumer(settings, logs[2], "--idle-exit", "3", "--json"))
        Publisher(settings, first).run()
        assert consumer.wait(timeout=120) == 0, logs[2].read_text()[-3000:]
    finally:
        for process in started:
            stop_process(process)
    stats = last_json(logs[2])
    assert stats["state"] == "stopped" and stats["lag_total"] == 0
    assert stats["dead_lettered"] == 0
    # the first chunk again is older than everything folded: each of its events is skipped
    assert stats["duplicates"] + stats["stale"] >= len(first)
    assert_online_state(settings, final_states(settings, events))
    assert_online_state(settings, final_states(settings, [*events, *first]))
    assert_log_matches_batch(settings, tables)
