"""The process around the platform: third-party libraries configured once, at process start.

BentoML, Prefect, TensorFlow and Ray read environment variables (most of them once, at
import), so :func:`configure_libraries` sets those variables and the loggers before any of
them loads; the edges (command line, service, flow runner) call it once with their Settings.
Output is for people: framework chatter goes to the home's log files unless ``verbose``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, redirect_stdout
from pathlib import Path

from pricing.settings import Settings

#: Loggers whose INFO/WARNING lines are framework chatter, not our progress ("py.warnings":
#: Python warnings, which libraries raise for their own deprecations).
CHATTY_LOGGERS = (
    "py.warnings", "feast", "dask", "distributed", "absl", "tensorflow", "keras", "bentoml"
)  # fmt: skip


def configure_libraries(settings: Settings) -> None:
    """Point every library at this home and quiet it; call once, before they are imported."""
    verbose = settings.verbose
    defaults = {
        "BENTOML_DO_NOT_TRACK": "true",
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry
        "DO_NOT_TRACK": "1",
        # A new home's temporary Prefect server migrates its database first: give it time.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "RLLIB_TEST_NO_TF_IMPORT": "1",  # RLlib here is torch-only: never load TensorFlow
        "TF_CPP_MIN_LOG_LEVEL": "0" if verbose else "3",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    # Warnings become log records: libraries (Feast) reinstall their own warning filters on
    # import, but cannot undo the level of the logger the warnings are shown through.
    logging.captureWarnings(True)
    level = logging.INFO if verbose else logging.ERROR
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    # kafka-python logs every failed reconnect at ERROR, several a second while a broker is
    # down; the consumer's status and progress line say it once
    logging.getLogger("kafka").setLevel(logging.WARNING if verbose else logging.CRITICAL)


@contextmanager
def library_prints_logged(settings: Settings) -> Iterator[None]:
    """Send what a library prints to stdout (Feast's materialization progress) to the home's
    ``logs/libraries.log`` (stderr when verbose): stdout is ours, for results and ``--json``."""
    if settings.verbose:
        with redirect_stdout(sys.stderr):
            yield
        return
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.logs_dir / "libraries.log", "a") as sink, redirect_stdout(sink):
        yield


def native_log(settings: Settings) -> Path | None:
    """Where native stderr goes: the home's ``logs/native.log``; None (the screen) if verbose."""
    return None if settings.verbose else settings.logs_dir / "native.log"


@contextmanager
def native_output_to(log: Path | None) -> Iterator[None]:
    """Send what native code writes to stderr (TensorFlow's absl, CUDA probes, Ray's core
    and its loggers) to ``log``; None leaves stderr alone.

    C++ libraries write to file descriptor 2 directly, past Python's logging and
    ``TF_CPP_MIN_LOG_LEVEL``; only redirecting the descriptor keeps them off the screen.
    Keep the block short: our own progress written to stderr inside it goes to ``log`` too.
    """
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "ab") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def native_output_logged(settings: Settings) -> AbstractContextManager[None]:
    """:func:`native_output_to` the home's native log (the screen when verbose)."""
    return native_output_to(native_log(settings))
