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


def test_the_log_serves_point_in_time_reads_of_the_realtime_view(stream_home):
    """The offline side is Feast's too: historical retrieval over the realtime view reads the
    log as of each entity row's time (the state after the events before it, none after)."""
    import pandas as pd

    from pricing.store.config import open_store
    from pricing.store.definitions import realtime_log

    settings = stream_home(products=2, days=20)
    _, events = history(settings, periods=3)
    servers = settings.kafka.bootstrap_servers
    publish(settings.kafka, servers, events)
    StreamConsumer(settings, servers, RealtimeStore(settings)).run(
        threading.Event(), idle_exit_s=1.0
    )
    product, location = events[0].key
    mine = [e for e in events if e.key == (product, location)]
    middle = pd.Timestamp(mine[len(mine) // 2].event_time)
    entity = pd.DataFrame(
        {
            "product_id": [product, product],
            "location_id": [location, location],
            "event_timestamp": [pd.Timestamp(mine[-1].event_time) + pd.Timedelta(hours=1), middle],
        }
    )
    names = ["realtime_units_in_period", "realtime_on_hand"]
    got = (
        open_store(settings)
        .get_historical_features(entity_df=entity, features=[f"realtime:{n}" for n in names])
        .to_df()
        .sort_values("event_timestamp")
    )
    # as of the end: the final state; as of the middle: the log's last row written before it
    final = final_states(settings, events)[(product, location)]
    assert list(got.iloc[-1][names]) == [final[n] for n in names]
    log = pd.read_parquet(realtime_log(settings))
    rows = log[(log["product_id"] == product) & (log["event_timestamp"] <= middle)]
    before = rows.sort_values("event_timestamp").iloc[-1]
    assert list(got.iloc[0][names]) == [before[n] for n in names]
    assert list(got.iloc[0][names]) != list(got.iloc[-1][names])  # time does matter here
