"""Supervised child processes: how a long-running command runs its server.

``pricing serve``, ``pricing flows server`` and ``pricing flows serve`` (and the stream consumer
and dashboard to come) run their server as a child in a session of its own, so a terminal's
Ctrl-C or a ``kill`` reaches it only through the command, which stops the child's whole tree:
TERM to its process group, then, after a grace period, KILL to the group and to every process
below the child. Servers start workers in sessions of their own (``bentoml serve`` does), out
of reach of a group signal and, once their parent is gone, of any tree walk: the tree is
therefore read before and while the child runs. A stopped command has freed its ports within
``GRACE + KILL_WAIT`` seconds, even when the child hangs on shutdown (Prefect's runner
pausing its deployments on an API that has already stopped).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

import psutil

#: Seconds a child gets to stop after TERM before it and everything below it are killed.
GRACE = 5.0
#: Seconds to wait for killed processes to be gone.
KILL_WAIT = 2.0
#: The signals that stop a supervising command (and so its child).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
POLL = 0.1


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """``command`` as a child in a session (and process group) of its own; its stdout and
    stderr go to ``output`` (default: this process's)."""
    return subprocess.Popen(
        list(command),
        env=None if env is None else dict(env),
        cwd=cwd,
        stdout=output,
        stderr=None if output is None else subprocess.STDOUT,
        start_new_session=True,
    )


def descendants(pid: int) -> set[psutil.Process]:
    """Every process below ``pid`` now (empty once it is gone)."""
    try:
        return set(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return set()


def _running(processes: Iterable[psutil.Process]) -> list[psutil.Process]:
    """Those still running; a zombie (an orphan not yet reaped by init) holds no port."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.Error:
            continue
    return alive


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _wait_gone(process: subprocess.Popen[bytes], tree: set[psutil.Process], timeout: float) -> bool:
    """Wait until the child and its known tree are gone (reaping the child); whether they are."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is None:
            tree |= descendants(process.pid)
        elif not _running(tree):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


def stop_process(
    process: subprocess.Popen[bytes],
    grace: float = GRACE,
    known: Iterable[psutil.Process] = (),
) -> None:
    """Stop a child started by :func:`start` and every process below it (``known``: those
    seen below it earlier): TERM to its group, KILL to whatever is left after ``grace``."""
    tree = set(known) | descendants(process.pid)
    _signal_group(process.pid, signal.SIGTERM)
    if _wait_gone(process, tree, grace):
        return
    _signal_group(process.pid, signal.SIGKILL)
    for left in _running(tree):
        try:
            left.kill()
        except psutil.Error:
            continue
    _wait_gone(process, tree, KILL_WAIT)


class _StopRequested(Exception):
    """This process got a stop signal while supervising."""


def _request_stop(signum: int, frame: FrameType | None) -> None:
    raise _StopRequested(signum)


def supervise(
    command: Sequence[str], env: Mapping[str, str] | None = None, grace: float = GRACE
) -> int:
    """Run ``command`` as a child (:func:`start`) until it exits, or until this process gets
    SIGTERM, SIGINT or SIGHUP, which stop it (:func:`stop_process`; further signals are
    ignored meanwhile). Its exit code, 0 after a requested stop; either way nothing it
    started is left running."""
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    process = start(command, env)
    tree: set[psutil.Process] = set()
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, _request_stop)
        while True:
            try:
                code = process.wait(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                tree |= descendants(process.pid)
    except _StopRequested:
        code = 0
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        stop_process(process, grace, tree)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def tree_rss_mb(process: psutil.Process) -> float:
    """Resident memory of a process and all below it (a JVM a Python driver started)."""
    total = 0
    try:
        for member in [process, *process.children(recursive=True)]:
            try:
                total += member.memory_info().rss
            except psutil.NoSuchProcess:
                continue
    except psutil.NoSuchProcess:
        return 0.0
    return total / 2**20
