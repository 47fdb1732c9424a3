"""A broker that stops answering for 10 s (SIGSTOP: sockets open, nothing processed, as in a
long GC pause or a frozen VM) mid-stream loses nothing: the producer and the consumer wait,
carry on after SIGCONT, and the online state and the log's aggregates come out as if nothing
had happened."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pricing.processes import stop_process
from tests.integration.commands import stop_by_signal
from tests.integration.streaming.streams import (
    Publisher,
    assert_log_matches_batch,
    assert_online_state,
    final_states,
    history,
    start_consumer,
    wait_committed,
    wait_ready,
    wait_status,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PAUSE_S = 10.0


def test_a_paused_broker_loses_nothing(stream_home, broker, tmp_path):
    settings = stream_home(products=4, days=60, kafka={"batch_max_events": 50})
    tables, events = history(settings, periods=None)
    log = tmp_path / "consumer.log"
    consumer = start_consumer(settings, log)
    try:
        wait_ready(settings, consumer.pid, log)
        publisher = Publisher(settings, events, rate=len(events) / 6)
        publisher.start()
        seen = wait_status(settings, lambda s: s["consumed"] >= 100, 30, "consumption", log)
        os.kill(broker.process.pid, signal.SIGSTOP)
        try:
            assert publisher.is_alive() and seen["consumed"] < len(events)
            time.sleep(PAUSE_S)
        finally:
            os.kill(broker.process.pid, signal.SIGCONT)
        publisher.finish(90)
        wait_committed(settings, len(events), log)
        stop_by_signal(consumer)
        assert consumer.returncode == 0, log.read_text()[-3000:]
    finally:
        stop_process(consumer)
    assert_online_state(settings, final_states(settings, events))
    assert_log_matches_batch(settings, tables)
