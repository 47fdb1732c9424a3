"""The worker processes of a ``bentoml serve``: which service each runs, what it has loaded."""

from __future__ import annotations

from pathlib import Path

import psutil


def service_workers(pid: int) -> dict[str, psutil.Process]:
    """The worker of each service below the ``bentoml serve`` process ``pid``, by name."""
    found = {}
    for child in psutil.Process(pid).children(recursive=True):
        command = child.cmdline()
        if "--service-name" in command:
            found[command[command.index("--service-name") + 1]] = child
    return found


def loads_tensorflow(process: psutil.Process) -> bool:
    """Whether TensorFlow's native library is mapped into the process."""
    return "libtensorflow" in Path(f"/proc/{process.pid}/maps").read_text()
