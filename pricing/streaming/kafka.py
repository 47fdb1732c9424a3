"""kafka-python clients with the settings' connection options, and the topics they need.

Works against Apache Kafka and Tansu alike. Two Tansu findings shape it: producing to a
missing topic auto-creates it with default partitions, so topics are created explicitly;
``end_offsets()`` is wrong there, so lag uses ``consumer.highwater()`` after a fetch.
"""

from __future__ import annotations

import contextlib
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from pricing.streaming.broker import BrokerError
from pricing.streaming.config import KafkaSettings

CLIENT_ID = "pricing-platform"


class DeliveryError(BrokerError):
    """Messages the broker did not acknowledge."""


class Acknowledgements:
    """Collects the failures of sent messages: a producer's ``flush()`` waits for them but
    does not raise them, so a send is only known to have landed once this says so."""

    def __init__(self) -> None:
        self.failures: list[BaseException] = []

    def watch(self, future: Any) -> None:
        future.add_errback(self.failures.append)

    def check(self, what: str) -> None:
        if self.failures:
            raise DeliveryError(
                f"{len(self.failures)} {what} not acknowledged by the broker; first: "
                f"{self.failures[0]!r}"
            )


def producer(kafka: KafkaSettings, servers: str, **overrides: Any) -> KafkaProducer:
    """Acks from all replicas, small linger for batching; idempotent, so retries add no copy."""
    options = {
        "client_id": CLIENT_ID,
        "acks": "all",
        "linger_ms": 10,
        "batch_size": 256 * 1024,
        **kafka.client_options(servers),
        **overrides,
    }
    return KafkaProducer(**options)


def consumer(
    kafka: KafkaSettings, servers: str, group: str | None, **overrides: Any
) -> KafkaConsumer:
    """A manually committing consumer of ``group`` (None: no group, no commits)."""
    options = {
        "client_id": CLIENT_ID,
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": kafka.session_timeout_ms,
        "heartbeat_interval_ms": kafka.heartbeat_interval_ms,
        "max_poll_records": kafka.batch_max_events,
        **kafka.client_options(servers),
        **overrides,
    }
    return KafkaConsumer(**options)


def ensure_topics(kafka: KafkaSettings, servers: str) -> list[str]:
    """Create the event and dead-letter topics that do not exist yet; the names created."""
    admin = KafkaAdminClient(client_id=CLIENT_ID, **kafka.client_options(servers))
    try:
        existing = set(admin.list_topics())
        wanted = [*kafka.topics.events().values(), kafka.topics.dead_letter]
        missing = [t for t in wanted if t not in existing]
        if missing:
            new = [NewTopic(t, kafka.partitions, kafka.replication_factor) for t in missing]
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(new)
        return missing
    finally:
        admin.close()
