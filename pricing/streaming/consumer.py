"""``pricing stream run``: Kafka events -> validation -> fold -> Feast push, at least once.

Each micro-batch (up to ``batch_max_events``, or what ``batch_wait_ms`` brings) is validated;
invalid messages go to the dead-letter topic with the reason in a header and the original
bytes as the value, and the batch goes on. The valid events are folded per series
(:mod:`pricing.streaming.realtime`) and pushed; offsets are committed only after the push
and the dead letters are acknowledged, so a crash anywhere redelivers the batch, which the
fold turns into the very same rows. When the store cannot be reached (Redis down), the
consumer pauses its partitions, keeps its group membership, retries with back-off and goes on
from the same batch once the store answers: nothing is committed meanwhile.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from pricing.data.grain import period_delta, period_start_of
from pricing.data.home import HomeData
from pricing.settings import Settings
from pricing.streaming.events import Event, InvalidEventError, parse_event
from pricing.streaming.realtime import Key, PeriodStart, State, fold
from pricing.streaming.status import ConsumerStats, write_status

log = logging.getLogger(__name__)

#: Back-off between attempts while the store is unreachable (seconds, doubling up to the cap).
RETRY_FIRST, RETRY_CAP = 0.2, 5.0
#: How often the status file and the progress line are refreshed (seconds).
REPORT_EVERY = 1.0


class StateStore(Protocol):
    """Where the realtime view lives: read series' states, push folded rows."""

    def read(self, keys: Sequence[Key]) -> dict[Key, State]: ...

    def push(self, rows: Sequence[State]) -> None: ...

    def unreachable(self) -> str | None:
        """Why the store does not answer now (None: it does); quick and retrying nothing."""
        ...


def backoff() -> Iterator[float]:
    """Seconds to wait before each retry: doubling from ``RETRY_FIRST`` up to ``RETRY_CAP``."""
    delay = RETRY_FIRST
    while True:
        yield delay
        delay = min(delay * 2, RETRY_CAP)


def store_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "the store is unreachable now", not "this batch is bad"."""
    import sqlite3

    import redis

    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.ClusterError,  # CLUSTERDOWN: a Redis Cluster with slots unserved
        redis.exceptions.RedisClusterException,  # no seed node of the cluster reachable
        sqlite3.OperationalError,
        OSError,
    )


def home_period_start(settings: Settings) -> PeriodStart:
    """The home's period of an event time, as epoch seconds of the period's start."""
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    anchor = pd.Timestamp(home.read("sales")["date"].max())
    last = [math.inf, -math.inf]  # [start, end) of the period asked last, epoch seconds

    def start(when: Any) -> float:
        # the fold asks per event; pandas takes ~40 us, and events come period by period
        seconds = when.timestamp() if when.tzinfo is not None else math.nan  # naive: UTC
        if not last[0] <= seconds < last[1]:
            period = period_start_of(pd.Timestamp(when), grain, anchor)
            last[:] = [period.timestamp(), (period + period_delta(grain)).timestamp()]
        return float(last[0])

    return start


def known_products(settings: Settings) -> Callable[[str], bool]:
    """Whether the home sells a product; the products table is re-read when it changes."""
    home = HomeData(settings.data_dir)
    path = home.table_path("products")
    cache: dict[str, Any] = {"mtime": None, "ids": frozenset()}

    def known(product_id: str) -> bool:
        if product_id in cache["ids"]:
            return True
        mtime = path.stat().st_mtime if path.exists() else None
        if mtime != cache["mtime"]:
            cache.update(mtime=mtime, ids=frozenset(home.product_ids()))
        return product_id in cache["ids"]

    return known


@dataclass
class Message:
    """One consumed record, parsed or with the reason it is not valid."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    event: Event | None = None
    reason: str | None = None


class StreamConsumer:
    """One member of the consumer group; ``run`` until ``stop`` is set (or the stream idles)."""

    def __init__(
        self,
        settings: Settings,
        servers: str,
        store: StateStore,
        report: Callable[[ConsumerStats], None] | None = None,
    ) -> None:
        from pricing.streaming.kafka import consumer, ensure_topics, producer

        self.settings, self.kafka, self.store = settings, settings.kafka, store
        self.servers = servers
        ensure_topics(self.kafka, servers)
        self.kinds = {topic: kind for kind, topic in self.kafka.topics.events().items()}
        self.consumer = consumer(self.kafka, servers, self.kafka.group_id)
        self.dead_letters = producer(self.kafka, servers)
        self.period_start = home_period_start(settings)
        self.known = known_products(settings)
        self.states: dict[Key, State] = {}
        self.stats = ConsumerStats(self.kafka.group_id, servers)
        self.report = report
        self._reported = 0.0

    # ------------------------------------------------------------------ one batch
    def _parse(self, record: Any) -> Message:
        message = Message(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp,
            record.key,
            record.value,
        )
        try:
            event = parse_event(self.kinds[record.topic], record.value)
        except InvalidEventError as error:
            message.reason = str(error)
            return message
        if not self.known(event.product_id):
            message.reason = f"unknown product {event.product_id!r} (not in the home's products)"
        else:
            message.event = event
        return message

    def _dead_letter(self, messages: list[Message]) -> None:
        """Send invalid messages on, untouched, with why; return once the broker has them all
        (else DeliveryError: the batch is not committed and comes again)."""
        from kafka.errors import UnknownProducerIdError

        from pricing.streaming.kafka import Acknowledgements, producer

        topic = self.kafka.topics.dead_letter
        for attempt in (1, 2):
            acks = Acknowledgements()
            for m in messages:
                assert m.reason is not None
                headers = [
                    ("reason", m.reason.encode()),
                    ("source_topic", m.topic.encode()),
                    ("source_partition", str(m.partition).encode()),
                    ("source_offset", str(m.offset).encode()),
                ]
                acks.watch(
                    self.dead_letters.send(topic, m.value or b"", key=m.key, headers=headers)
                )
            self.dead_letters.flush()
            forgotten = any(isinstance(f, UnknownProducerIdError) for f in acks.failures)
            if attempt == 1 and forgotten:  # a restarted broker forgot our idempotent producer
                self.dead_letters.close()
                self.dead_letters = producer(self.kafka, self.servers)
                continue
            acks.check("dead letters")
            break
        for m in messages:
            assert m.reason is not None
            self.stats.dead_lettered[m.reason.split(":")[0].split(" (")[0]] += 1

    def _fold_and_push(self, events: list[Event]) -> Any:
        missing = sorted({e.key for e in events} - self.states.keys())
        states = {**self.states, **self.store.read(missing)}
        folded = fold(events, states, self.period_start)
        self.store.push(folded.rows)
        return folded

    def _push_until_done(self, events: list[Event], stop: threading.Event) -> Any:
        """Push, pausing consumption while the store is unreachable; None if stopped first."""
        errors, delays = store_errors(), backoff()
        while True:
            try:
                folded = self._fold_and_push(events)
            except errors as error:
                self._pause(f"{type(error).__name__}: {error}")
                self.states.clear()  # re-read once the store is back: it may have restarted
                if not self._wait_for_store(stop, delays):
                    return None
                continue
            if self.consumer.paused():
                self.consumer.resume(*self.consumer.paused())
            self.stats.state = "running"
            return folded

    def _pause(self, why: str) -> None:
        self.stats.state = f"paused: store unreachable ({why})"
        self._report(force=True)

    def _wait_for_store(self, stop: threading.Event, delays: Iterator[float]) -> bool:
        """Back off until the store answers a ping; False if stopped first. The push is not
        the probe: a store client's own retries (Feast's Redis client: about 7 s) would keep
        a stop signal waiting."""
        while not stop.wait(next(delays)):
            self._stay_in_group()
            problem = self.store.unreachable()
            if problem is None:
                return True
            self._pause(problem)
        return False

    def _stay_in_group(self) -> None:
        """Poll while paused, so the group keeps this member. Only the batch in hand is pushed
        once the store is back: partitions a rebalance brought meanwhile are paused too, and
        whatever a poll still returns is sought back, to be fetched again on resuming."""
        self.consumer.pause(*self.consumer.assignment())
        for tp, records in self.consumer.poll(timeout_ms=0).items():
            self.consumer.seek(tp, records[0].offset)
            self.consumer.pause(tp)

    def _commit(self, messages: list[Message]) -> None:
        from kafka import TopicPartition
        from kafka.errors import CommitFailedError, RebalanceInProgressError
        from kafka.structs import OffsetAndMetadata

        last: dict[TopicPartition, int] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            last[tp] = max(last.get(tp, -1), m.offset)
        offsets = {tp: OffsetAndMetadata(offset + 1, "", -1) for tp, offset in last.items()}
        try:
            self.consumer.commit(offsets)
        # a rebalance, over or under way (the next poll joins it): the batch is pushed, so
        # whoever owns its partitions next reads it again from the last commit, harmlessly
        except (CommitFailedError, RebalanceInProgressError) as error:
            log.warning("offset commit failed (%s); the batch may be redelivered", error)
            self.states.clear()

    def process(self, records: Mapping[Any, list[Any]], stop: threading.Event) -> bool:
        """Validate, dead-letter, fold, push, commit one polled batch; False if stopped first."""
        messages = [self._parse(r) for batch in records.values() for r in batch]
        bad = [m for m in messages if m.reason is not None]
        if bad:
            self._dead_letter(bad)
        # topics arrive one after another; one series' events are folded in event-time order
        events = sorted(
            (m.event for m in messages if m.event is not None), key=lambda e: e.event_time
        )
        folded = self._push_until_done(events, stop)
        if folded is None:
            return False
        done = time.time() * 1000
        self._commit(messages)
        self.states.update(folded.states)
        self.stats.consumed += len(messages)
        self.stats.applied += folded.applied
        self.stats.duplicates += folded.duplicates
        self.stats.stale += len(folded.stale)
        self.stats.pushed_rows += len(folded.rows)
        fresh = [done - m.timestamp_ms for m in messages if m.event is not None]
        self.stats.batch_done(len(messages), fresh)
        return True

    # ------------------------------------------------------------------ the loop
    def _lag(self) -> None:
        lag: dict[str, int] = {}
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)  # end_offsets() is wrong on Tansu
            if high is None:
                continue
            position = self.consumer.position(tp)
            lag[tp.topic] = lag.get(tp.topic, 0) + max(0, high - position)
        self.stats.lag = lag

    def _report(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._reported < REPORT_EVERY:
            return
        self._reported = now
        write_status(self.settings, self.stats)
        if self.report is not None:
            self.report(self.stats)

    def run(self, stop: threading.Event, idle_exit_s: float | None = None) -> ConsumerStats:
        """Consume until ``stop`` is set, or until nothing came for ``idle_exit_s`` seconds
        once the group had its partitions (None: never)."""
        self.consumer.subscribe(list(self.kinds), listener=forget_on_revoke(self.states))
        self.stats.state = "running"
        self._report(force=True)
        # the idle clock starts once partitions are assigned, not at start: a group join can
        # take longer than the idle time, and a consumer must not leave before its first fetch
        idle_since: float | None = None
        failure: str | None = None  # the status must not read "stopped" after a crash
        try:
            while not stop.is_set():
                records = self.consumer.poll(
                    timeout_ms=self.kafka.batch_wait_ms, max_records=self.kafka.batch_max_events
                )
                if records:
                    if not self.process(records, stop):
                        break
                    idle_since = time.monotonic()
                elif idle_exit_s is not None and self.consumer.assignment():
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > idle_exit_s:
                        break
                self._lag()
                self._report()
        except Exception as error:
            failure = f"failed: {type(error).__name__}: {error}"
            raise
        finally:
            self.stats.state = failure or "stopping"
            self.consumer.close()  # leaves the group at once: a restarted member joins fast
            self.dead_letters.close()
            self.stats.state = failure or "stopped"
            self._report(force=True)
        return self.stats


def forget_on_revoke(states: dict[Key, State]) -> Any:
    """A rebalance listener: cached states are only trusted for partitions this member owns."""
    from kafka import ConsumerRebalanceListener

    class Forget(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: Any) -> None:
            states.clear()

        def on_partitions_assigned(self, assigned: Any) -> None:
            return None

    return Forget()
