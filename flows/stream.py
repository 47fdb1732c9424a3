"""The stream consumer as a long-running Prefect flow: ``pricing stream run``, seen in the UI.

``stream_consumer`` runs one member of the consumer group (:class:`StreamConsumer` into the
home's realtime view) until it is cancelled, stopped (SIGTERM, Ctrl-C) or, with
``idle_exit_s``, the stream idles. The consumer runs in a thread of the flow run, so a stop
reaches it between batches: it finishes the batch in hand, commits, leaves the group, and
Prefect then records the run as cancelled (or crashed, for a bare SIGTERM). A failure (no
broker at start, the home's embedded broker gone or moved, any error out of the consumer)
fails the attempt and the flow is retried after a delay; a store outage does not fail it (the
consumer pauses until the store answers), nor does a configured cluster's (its clients
reconnect). Served by ``pricing flows serve`` as
``stream-consumer/realtime``: one run at a time, (re)started by a schedule when none runs.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from logging import Logger, LoggerAdapter
from typing import Any

from prefect import flow, get_run_logger

from pricing.settings import Settings, get_settings

#: Attempts after the first, and the pause before each (a broker restart, a network blip).
RETRIES, RETRY_DELAY_S = 20, 30
#: Seconds between progress lines in the run's log.
LOG_EVERY_S = 10.0
#: Seconds between checks that the home's broker is still the one the consumer talks to.
WATCH_EVERY_S = 5.0
#: Longest wait for the consumer to finish its batch and leave the group once told to stop.
STOP_WITHIN_S = 20.0


def _progress(logger: Logger | LoggerAdapter[Logger]) -> Callable[[Any], None]:
    """The consumer's report callback: a line every :data:`LOG_EVERY_S` and on every state
    change (paused, stopping, stopped)."""
    last: dict[str, Any] = {"at": 0.0, "state": ""}

    def report(stats: Any) -> None:
        now = time.monotonic()
        if now - last["at"] >= LOG_EVERY_S or stats.state != last["state"]:
            last.update(at=now, state=stats.state)
            logger.info(stats.summary())

    return report


def _consume(
    consumer: Any, idle_exit_s: float | None, same_broker: Callable[[], bool]
) -> dict[str, Any]:
    """Run ``consumer`` in a thread until it returns; a stop of this flow run (an exception
    here: Prefect's cancellation, SIGTERM, Ctrl-C) or a changed broker stops it first."""
    from pricing.streaming.broker import BrokerError

    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["stats"] = consumer.run(stop, idle_exit_s)
        except BaseException as error:  # handed to the flow, which fails and retries
            outcome["error"] = error

    context = contextvars.copy_context()  # the run's logger works in the thread too
    worker = threading.Thread(
        target=context.run, args=(work,), name="stream-consumer", daemon=True
    )  # daemon: a consumer stuck closing on a dead broker does not hold the process
    worker.start()
    try:
        while worker.is_alive():
            worker.join(WATCH_EVERY_S)
            if worker.is_alive() and not same_broker():
                raise BrokerError("the home's embedded broker stopped or moved; reconnecting")
    except BaseException:
        stop.set()
        worker.join(STOP_WITHIN_S)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return dict(outcome["stats"].as_dict())


@flow(name="stream-consumer", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S)
def stream_consumer(home: str | None = None, idle_exit_s: float | None = None) -> dict[str, Any]:
    """Consume the event topics into the home's realtime view until cancelled (or, with
    ``idle_exit_s``, until no event came for that many seconds); the consumer's figures."""
    from pricing.store.realtime import RealtimeStore
    from pricing.streaming.broker import BrokerError, bootstrap_servers
    from pricing.streaming.consumer import StreamConsumer

    settings: Settings = get_settings() if home is None else get_settings().for_home(home)
    logger = get_run_logger()
    servers = bootstrap_servers(settings)

    def same_broker() -> bool:
        try:
            return bootstrap_servers(settings) == servers
        except BrokerError:
            return False

    consumer = StreamConsumer(settings, servers, RealtimeStore(settings), _progress(logger))
    logger.info(
        "consuming %s from %s as group %r into the realtime view of %s",
        ", ".join(consumer.kinds), servers, settings.kafka.group_id, settings.home_dir,
    )  # fmt: skip
    return _consume(consumer, idle_exit_s, same_broker)
