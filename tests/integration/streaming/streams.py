"""What the real-time tests share: the expected end state of a stream, the two checks every
test ends with (online rows = the fold of every event; the offline log's period aggregates =
the batch aggregates of the replayed rows), and the consumer as an operator runs it."""

from __future__ import annotations

import json
import math
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from kafka import KafkaAdminClient

from pricing.data.home import HomeData
from pricing.settings import Settings
from pricing.store.definitions import realtime_log
from pricing.store.realtime import RealtimeStore
from pricing.streaming.consumer import home_period_start
from pricing.streaming.events import Event
from pricing.streaming.realtime import REALTIME_FEATURES, SALE_IDS, Key, State, fold
from pricing.streaming.rebuild import batch_aggregates, streamed_aggregates
from pricing.streaming.replay import Published, events_from_tables, history_tables, publish
from pricing.streaming.status import read_status
from tests.integration.commands import command, operator_env, wait_for

#: Features compared online; the row stamp depends on where batches were cut, not on events.
COMPARED = [n for n in REALTIME_FEATURES if n != "realtime_row_time"] + [SALE_IDS]


def history(settings: Settings, periods: int | None) -> tuple[dict[str, pd.DataFrame], list[Event]]:
    """The home's last ``periods`` periods of canonical rows and the events replay makes."""
    tables, grain = history_tables(HomeData(settings.data_dir), periods)
    return tables, events_from_tables(tables, grain)


def final_states(settings: Settings, events: Sequence[Event]) -> dict[Key, State]:
    """Every series' state after all ``events``, folded at once from empty."""
    return fold(events, {}, home_period_start(settings)).states


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-12)
    return bool(x == y)


def assert_online_state(settings: Settings, expected: dict[Key, State]) -> None:
    """The online realtime view holds ``expected`` for every series (row stamps aside)."""
    keys = sorted(expected)
    online = RealtimeStore(settings).read(keys)
    wrong = {
        key: {
            name: (online[key][name], expected[key][name])
            for name in COMPARED
            if not _same(online[key][name], expected[key][name])
        }
        for key in keys
    }
    wrong = {key: diff for key, diff in wrong.items() if diff}
    assert not wrong, f"online (got, expected) differ for {len(wrong)} series: {wrong}"
    assert all(not math.isnan(online[key]["realtime_row_time"]) for key in keys)


def assert_log_matches_batch(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    """The period aggregates rebuilt from the offline log equal those of the batch rows."""
    log = pd.read_parquet(realtime_log(settings))
    streamed = streamed_aggregates(log, home_period_start(settings))
    pd.testing.assert_frame_equal(streamed, batch_aggregates(tables), check_dtype=False)


def consumer_env(settings: Settings) -> dict[str, str]:
    """The environment of an operator running ``pricing`` with exactly these settings."""
    return operator_env(settings.home_dir) | settings.as_environment()


def start_consumer(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``pricing stream run ARGS`` as its own process, its output in ``log``."""
    return command(consumer_env(settings), log, "stream", "run", *args)


def status(settings: Settings) -> dict[str, Any]:
    """The consumer's status file (an empty dict before a consumer wrote one)."""
    return read_status(settings) or {}


def wait_status(
    settings: Settings,
    check: Callable[[dict[str, Any]], bool],
    timeout: float,
    what: str,
    log: Path,
) -> dict[str, Any]:
    """The first status of the consumer for which ``check`` holds, within ``timeout``."""

    def seen() -> dict[str, Any] | None:
        found = status(settings)
        return found if found and check(found) else None

    return wait_for(seen, timeout, what, log)


class Publisher(threading.Thread):
    """Publishes events in the background (at ``rate`` per second) while a test does more."""

    def __init__(self, settings: Settings, events: Sequence[Event], rate: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.settings, self.events, self.rate = settings, list(events), rate
        self.published: Published | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            kafka = self.settings.kafka
            self.published = publish(kafka, kafka.bootstrap_servers, self.events, self.rate)
        except BaseException as error:  # reported by finish()
            self.error = error

    def finish(self, timeout: float) -> Published:
        """Wait until every event is acknowledged by the broker."""
        self.join(timeout)
        assert not self.is_alive(), f"publishing did not finish within {timeout:.0f}s"
        if self.error is not None:
            raise self.error
        assert self.published is not None and self.published.events == len(self.events)
        return self.published


def last_json(log: Path) -> dict[str, Any]:
    """The last JSON object a ``--json`` command wrote to ``log``."""
    for line in reversed(log.read_text().splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise AssertionError(f"no JSON in {log}:\n{log.read_text()[-3000:]}")


def chunks(events: Sequence[Event], parts: int) -> list[list[Event]]:
    """``events`` cut into ``parts`` consecutive runs of about equal length."""
    size = -(-len(events) // parts)
    return [list(events[i : i + size]) for i in range(0, len(events), size)]


def wait_ready(settings: Settings, pid: int, log: Path, timeout: float = 90) -> dict[str, Any]:
    """The status of consumer ``pid`` once it owns partitions and has fetched from them."""
    return wait_status(
        settings,
        lambda s: s["pid"] == pid and bool(s["lag"]),
        timeout,
        "a consumer with partitions",
        log,
    )


def committed(settings: Settings) -> int:
    """Offsets the consumer group has committed on the event topics, summed: the number of
    messages it has pushed for good (offsets of a fresh topic count its messages from 0)."""
    admin = KafkaAdminClient(
        client_id="pricing-tests", **settings.kafka.client_options(settings.kafka.bootstrap_servers)
    )
    try:
        offsets = admin.list_group_offsets(settings.kafka.group_id)[settings.kafka.group_id]
    finally:
        admin.close()
    topics = set(settings.kafka.topics.events().values())
    return sum(o.offset for tp, o in offsets.items() if tp.topic in topics and o.offset > 0)


def wait_committed(settings: Settings, messages: int, log: Path, timeout: float = 90) -> None:
    """Wait until the group has committed all ``messages`` published to the event topics."""
    wait_for(
        lambda: True if committed(settings) >= messages else None,
        timeout,
        f"{messages} messages committed",
        log,
    )
