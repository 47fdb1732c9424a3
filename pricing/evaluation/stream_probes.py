"""What the streaming benchmark runs and times: the real consumer in a process of its own, a
poller of the online store, and the two ceilings (a bare Kafka read, bare Redis writes).

The consumer is ``StreamConsumer`` over ``RealtimeStore``, as ``pricing stream run`` builds
it, in a spawned process (its own interpreter and core, as in production); it reports when it
has applied and committed the backlog and then every paced event, and leaves the home's
consumer status file alone (a real consumer of the home may be running).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pricing.settings import Settings
from pricing.streaming.config import KafkaSettings
from pricing.streaming.consumer import StreamConsumer
from pricing.streaming.events import Event
from pricing.streaming.realtime import Key, State

#: Wall-clock seconds between two reads of the online store by the poller.
POLL_EVERY_S = 0.02


class _BenchConsumer(StreamConsumer):
    """The real consumer, telling the benchmark when its total of events consumed (applied
    and committed) passes each mark; it holds after the first mark (the warm-up: imports,
    first reads and pushes done) until ``go`` is set, so the backlog is timed warm."""

    def __init__(
        self, settings: Settings, servers: str, marks: list[tuple[str, int]], out: Any, go: Any
    ) -> None:
        from pricing.store.realtime import RealtimeStore

        super().__init__(settings, servers, RealtimeStore(settings))
        self.marks, self.out, self.go = list(marks), out, go
        self.paced_freshness_ms: list[float] = []

    def _report(self, force: bool = False) -> None:
        return None  # the home's status file belongs to the home's own consumer

    def process(self, records: Any, stop: threading.Event) -> bool:
        before = self.stats.consumed - sum(self.stats.dead_lettered.values())
        done = super().process(records, stop)
        valid = self.stats.consumed - sum(self.stats.dead_lettered.values()) - before
        if done and valid and len(self.marks) == 1:  # after the backlog: the paced stream
            self.paced_freshness_ms += list(self.stats.freshness_ms)[-valid:]
        while done and self.marks and self.stats.consumed >= self.marks[0][1]:
            name, _ = self.marks.pop(0)
            counts = {"batches": self.stats.batches, "pushed_rows": self.stats.pushed_rows}
            self.out.put((name, {"at": time.time(), **counts}))
            if name == "warm":  # paused, so nothing is fetched ahead of the timed backlog
                held = self.consumer.assignment()
                self.consumer.pause(*held)
                self.go.wait()
                self.out.put(("go", {"at": time.time()}))
                self.consumer.resume(*held)
        return done


def consume(
    settings: Settings, servers: str, marks: list[tuple[str, int]], out: Any, go: Any, stop: Any
) -> None:
    """Process target: run the consumer until ``stop``; its figures last on ``out``."""
    try:
        consumer = _BenchConsumer(settings, servers, marks, out, go)
        # after Feast's import, which asks for every DeprecationWarning (ibis's: one per push)
        warnings.simplefilter("ignore", DeprecationWarning)
        stats = consumer.run(stop)
        out.put(("stats", stats.as_dict() | {"paced_freshness_ms": consumer.paced_freshness_ms}))
    except BaseException:
        out.put(("error", traceback.format_exc()))


@dataclass
class ConsumerProcess:
    """The spawned consumer and the messages it sent so far (kind -> payload)."""

    process: Any
    out: Any
    go: Any
    stop: Any
    seen: dict[str, Any] = field(default_factory=dict)

    def wait(self, kind: str, timeout: float) -> dict[str, Any] | None:
        """The payload of message ``kind``; None if it did not come within ``timeout``."""
        from queue import Empty

        deadline = time.monotonic() + timeout
        while kind not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                got, payload = self.out.get(timeout=min(left, 0.5))
            except Empty:
                if not self.process.is_alive() and self.out.empty():
                    raise RuntimeError("the benchmark's consumer died without a word") from None
                continue
            if got == "error":
                raise RuntimeError(f"the benchmark's consumer failed:\n{payload}")
            self.seen[got] = payload
        return dict(self.seen[kind])

    def finish(self, timeout: float = 60.0) -> dict[str, Any]:
        """Stop the consumer (it finishes its batch and leaves the group); its statistics."""
        self.go.set()
        self.stop.set()
        stats = self.wait("stats", timeout) or {}
        self.process.join(10.0)
        if self.process.is_alive():
            self.process.terminate()
        return stats


def start_consumer(
    settings: Settings, servers: str, marks: list[tuple[str, int]]
) -> ConsumerProcess:
    """The consumer in a spawned process: its own interpreter, as `pricing stream run`."""
    context = multiprocessing.get_context("spawn")
    out, go, stop = context.Queue(), context.Event(), context.Event()
    process = context.Process(
        target=consume, args=(settings, servers, marks, out, go, stop), daemon=True
    )
    process.start()
    return ConsumerProcess(process, out, go, stop)


class StorePoller(threading.Thread):
    """Reads the series' online states every ``POLL_EVERY_S`` until stopped; each read is
    kept with the wall-clock time it returned (when its values were surely visible)."""

    def __init__(self, settings: Settings, keys: Sequence[Key]) -> None:
        from pricing.store.realtime import RealtimeStore

        super().__init__(daemon=True)
        self.store, self.keys = RealtimeStore(settings), list(keys)
        self.reads: list[tuple[float, dict[Key, State]]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            states = self.store.read(self.keys)
            self.reads.append((time.time() * 1000.0, states))
            self.halt.wait(POLL_EVERY_S)


def kafka_consume_rate(kafka: KafkaSettings, servers: str, count: int, timeout: float) -> float:
    """Messages per second of a bare consumer (no group, no parsing) reading ``count``
    messages of the event topics from the beginning."""
    from kafka import TopicPartition

    from pricing.streaming.kafka import consumer

    reader = consumer(kafka, servers, None)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in kafka.topics.events().values()
            for p in sorted(reader.partitions_for_topic(topic) or [])
        ]
        reader.assign(partitions)
        reader.seek_to_beginning(*partitions)
        started, read = time.perf_counter(), 0
        while read < count and time.perf_counter() - started < timeout:
            batches = reader.poll(timeout_ms=100, max_records=kafka.batch_max_events)
            read += sum(len(records) for records in batches.values())
        return read / (time.perf_counter() - started)
    finally:
        reader.close()


def redis_write_rate(url: str, project: str, rows: Sequence[State], batch: int) -> float:
    """Rows per second of bare pipelined HSETs shaped like Feast's realtime rows (entity key,
    one protobuf value per feature, the row timestamp), ``batch`` rows per pipeline, to keys
    of their own that are deleted afterwards."""
    from feast.infra.online_stores.helpers import _mmh3
    from feast.protos.feast.types.Value_pb2 import Value
    from google.protobuf.timestamp_pb2 import Timestamp

    from pricing.evaluation.redis_writes import HashRow, hset_rate
    from pricing.store.realtime import FEATURE_REFS

    fields = [(ref, _mmh3(ref)) for ref in FEATURE_REFS]
    payloads: list[HashRow] = []
    for i, row in enumerate(rows):
        stamp = Timestamp()
        stamp.FromMilliseconds(int(row["realtime_row_time"] * 1000))
        mapping: dict[bytes | str, bytes] = {"_ts:realtime": stamp.SerializeToString()}
        for ref, hashed in fields:
            value = row[ref.split(":", 1)[1]]
            proto = Value(string_val=value) if isinstance(value, str) else Value(double_val=value)
            mapping[hashed] = proto.SerializeToString()
        payloads.append((f"{i}:{row['product_id']}|{project}".encode(), mapping))
    return hset_rate(url, payloads, batch, "stream")


def publish_paced(
    kafka: KafkaSettings, servers: str, events: Sequence[Event], rate: float
) -> list[float]:
    """Send ``events`` at ``rate`` per second, each stamped with its send time (ms), which is
    returned: the record timestamp the consumer measures its freshness from."""
    from pricing.streaming.events import message_key
    from pricing.streaming.kafka import producer
    from pricing.streaming.replay import KIND_OF

    topics = kafka.topics.events()
    sender = producer(kafka, servers)
    sent: list[float] = []
    try:
        started = time.perf_counter()
        for i, event in enumerate(events):
            ahead = i / rate - (time.perf_counter() - started)
            if ahead > 0:
                time.sleep(ahead)
            stamp = int(time.time() * 1000)
            key = message_key(event.product_id, event.location_id)
            value = event.model_dump_json().encode()
            sender.send(topics[KIND_OF[type(event)]], value, key=key, timestamp_ms=stamp)
            sent.append(float(stamp))
        sender.flush()
    finally:
        sender.close()
    return sent


def drop_topics(kafka: KafkaSettings, servers: str) -> None:
    """Delete the run's topics and consumer group (best effort: a broker may refuse)."""
    import contextlib

    from kafka import KafkaAdminClient

    from pricing.streaming.kafka import CLIENT_ID

    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(client_id=CLIENT_ID, **kafka.client_options(servers))
        try:
            with contextlib.suppress(Exception):
                admin.delete_topics([*kafka.topics.events().values(), kafka.topics.dead_letter])
            with contextlib.suppress(Exception):
                admin.delete_consumer_groups([kafka.group_id])
        finally:
            admin.close()


@dataclass
class Run:
    """What the timed phases measured (wall-clock seconds, ms, messages)."""

    published: Any
    kafka_rate: float
    started: float
    marks: dict[str, dict[str, Any]]
    sent_ms: list[float]
    reads: list[tuple[float, dict[Key, State]]]
    stats: dict[str, Any]


def run_phases(
    bench: Settings,
    servers: str,
    parts: tuple[list[Event], list[Event], list[Event]],
    rate: float,
    tracked: list[Key],
    say: Callable[[str], None],
) -> Run:
    """Warm the consumer up, time it on the backlog, then on a paced stream polled online."""
    from pricing.streaming.replay import publish

    warm, backlog, paced = parts
    marks = [("warm", len(warm)), ("backlog", len(warm) + len(backlog))]
    marks.append(("all", marks[-1][1] + len(paced)))
    publish(bench.kafka, servers, warm)
    started = time.time()
    say(f"starting the consumer; it warms up on {len(warm)} events, then holds")
    worker = start_consumer(bench, servers, marks)
    try:
        if worker.wait("warm", timeout=180) is None:
            raise RuntimeError("the consumer did not apply its warm-up events within 180 s")
        say(f"publishing {len(backlog):,} events to {servers}")
        published = publish(bench.kafka, servers, backlog)
        say("bare Kafka read of the same messages (no group, no processing)")
        total = len(warm) + len(backlog)
        kafka_rate = kafka_consume_rate(bench.kafka, servers, total, timeout=120)
        say(f"consumer released on the backlog (batches of up to {bench.kafka.batch_max_events:,})")
        worker.go.set()
        if worker.wait("backlog", timeout=max(60.0, len(backlog) / 500)) is None:
            raise RuntimeError(f"the consumer did not apply {len(backlog):,} events in time")
        say(f"paced stream: {rate:,.0f} events/s, the store read every {POLL_EVERY_S:.2f} s")
        poller = StorePoller(bench, tracked)
        poller.start()
        try:
            sent_ms = publish_paced(bench.kafka, servers, paced, rate)
            worker.wait("all", timeout=len(paced) / rate + 30)
            time.sleep(3 * POLL_EVERY_S)  # a read or two after the last push
        finally:
            poller.halt.set()
            poller.join()
    finally:
        stats = worker.finish()
    found = {k: v for k, v in worker.seen.items() if k in ("warm", "go", "backlog", "all")}
    return Run(published, kafka_rate, started, found, sent_ms, poller.reads, stats)
