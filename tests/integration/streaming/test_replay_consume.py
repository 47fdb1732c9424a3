"""History replayed through the real broker and consumer lands where batch says it should: the
online realtime view holds the fold of every event, and the period aggregates rebuilt from the
offline log equal the batch aggregates of the replayed rows."""

from __future__ import annotations

import threading

import pytest

from pricing.store.realtime import RealtimeStore
from pricing.streaming.consumer import StreamConsumer
from pricing.streaming.replay import publish
from tests.integration.streaming.streams import (
    assert_log_matches_batch,
    assert_online_state,
    final_states,
    history,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_replayed_history_reaches_the_online_store_and_the_log(stream_home):
    settings = stream_home(products=4, days=40)
    tables, events = history(settings, periods=6)
    servers = settings.kafka.bootstrap_servers
    assert publish(settings.kafka, servers, events).events == len(events)

    consumer = StreamConsumer(settings, servers, RealtimeStore(settings))
    stats = consumer.run(threading.Event(), idle_exit_s=1.0)

    assert stats.consumed == stats.applied == len(events)
    assert (stats.duplicates, stats.stale, sum(stats.dead_lettered.values())) == (0, 0, 0)
    assert_online_state(settings, final_states(settings, events))
    assert_log_matches_batch(settings, tables)
