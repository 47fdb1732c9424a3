"""Messages that break their topic's contract do not stop the stream: each goes to the
dead-letter topic untouched (its original bytes as the value) with a ``reason`` header naming
the problem, and the good events around them reach the online store."""

from __future__ import annotations

import json
import threading
import time

import pytest
from kafka import TopicPartition

from pricing.store.realtime import RealtimeStore
from pricing.streaming.consumer import StreamConsumer
from pricing.streaming.events import message_key
from pricing.streaming.kafka import consumer, producer
from pricing.streaming.replay import KIND_OF
from tests.integration.streaming.streams import assert_online_state, final_states, history

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _broken(sale: dict, rival: dict) -> list[tuple[str, bytes, str]]:
    """(event kind, raw message, what its reason must name) for each kind of mistake."""

    def changed(event: dict, **fields: object) -> bytes:
        return json.dumps({**event, **fields}).encode()

    return [
        ("sales", changed(sale)[:-20], "invalid JSON"),
        ("sales", changed(sale, units="a dozen"), "'units'"),
        ("sales", changed(sale, price=-2.5), "'price'"),
        ("sales", changed(sale, product_id="NO-SUCH-PRODUCT"), "unknown product"),
        ("sales", changed(sale, colour="red"), "'colour'"),
        ("sales", changed(sale, event_time="2024-01-01T10:00:00"), "'event_time'"),
        ("sales", b"", "empty message"),
        ("competitor_prices", changed(rival, price=0), "'price'"),
        ("competitor_prices", changed(rival, competitor_type="rumour"), "'competitor_type'"),
    ]


def _dead_letters(settings, expected: int, timeout: float = 20) -> list:
    """Every record of the dead-letter topic, read without a group (nothing committed)."""
    topic = settings.kafka.topics.dead_letter
    reader = consumer(settings.kafka, settings.kafka.bootstrap_servers, None)
    try:
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic)]
        reader.assign(partitions)
        reader.seek_to_beginning(*partitions)
        records: list = []
        deadline = time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            for batch in reader.poll(timeout_ms=500).values():
                records.extend(batch)
        reader.poll(timeout_ms=500)  # anything beyond what was expected shows up too
        return records
    finally:
        reader.close()


def test_bad_messages_go_to_the_dead_letter_topic_and_the_stream_goes_on(stream_home):
    settings = stream_home(products=4, days=40)
    servers, topics = settings.kafka.bootstrap_servers, settings.kafka.topics.events()
    _, good = history(settings, periods=6)
    sale = next(e for e in good if KIND_OF[type(e)] == "sales").model_dump(mode="json")
    rival = next(e for e in good if KIND_OF[type(e)] == "competitor_prices")
    bad = _broken(sale, rival.model_dump(mode="json"))
    every = len(good) // len(bad)
    sender = producer(settings.kafka, servers)
    try:
        for i, event in enumerate(good):
            key = message_key(event.product_id, event.location_id)
            sender.send(topics[KIND_OF[type(event)]], event.model_dump_json().encode(), key=key)
            if i % every == 0 and i // every < len(bad):
                kind, raw, _ = bad[i // every]
                sender.send(topics[kind], raw, key=key)
        sender.flush()
    finally:
        sender.close()

    stats = StreamConsumer(settings, servers, RealtimeStore(settings)).run(
        threading.Event(), idle_exit_s=1.0
    )

    assert stats.consumed == len(good) + len(bad)
    assert stats.applied == len(good) and sum(stats.dead_lettered.values()) == len(bad)
    assert_online_state(settings, final_states(settings, good))
    letters = _dead_letters(settings, len(bad))
    assert len(letters) == len(bad)
    found = {record.value: dict(record.headers) for record in letters}
    for kind, raw, named in bad:
        headers = found[raw]
        assert named in headers["reason"].decode(), (raw, headers["reason"])
        assert headers["source_topic"].decode() == topics[kind]
