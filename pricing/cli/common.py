"""Shared CLI plumbing: one console, the ``--json`` convention, clear errors."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from pricing.settings import Settings, get_settings

console = Console(highlight=False)
F = TypeVar("F", bound=Callable[..., Any])

JSON_OPTION = typer.Option("--json", help="Print the figures as one JSON object last.")


def settings() -> Settings:
    """This process's settings: read once from the environment, configured by the callback."""
    return get_settings()


def emit_json(payload: dict[str, Any]) -> None:
    """The ``--json`` contract: the LAST line of stdout is one JSON object."""
    sys.stdout.flush()
    print(json.dumps(payload, default=str), flush=True)


def fail(message: str, code: int = 1) -> NoReturn:
    Console(stderr=True, highlight=False).print(
        f"[bold red]error:[/] {escape(message)}", soft_wrap=True
    )
    raise typer.Exit(code)


def user_error_code(error: Exception) -> int | None:
    """The exit code of an expected (user) error: 2 for bad input, 1 for a missing
    prerequisite; None for a bug, which keeps its traceback.

    The error classes are imported here, when something failed, not when the command line
    loads: their modules import pandas, and `pricing --help` must answer at once.
    """
    from pricing.clock import ClockError
    from pricing.data.grain import GrainError
    from pricing.data.home import NoDataError
    from pricing.data.loaders import LoadError
    from pricing.data.mapping import MappingError
    from pricing.data.synthetic import HomeNotEmptyError
    from pricing.data.validation import ValidationError
    from pricing.models.history import InsufficientHistoryError
    from pricing.models.ray_cluster import RayClusterError
    from pricing.registry import ModelNotFoundError
    from pricing.streaming.broker import BrokerError

    if type(error).__name__ == "NoBrokersAvailable":  # kafka-python, imported only when used
        return 1

    if isinstance(error, ValidationError | GrainError | MappingError | LoadError):
        return 2
    missing = NoDataError | ClockError | HomeNotEmptyError | ModelNotFoundError
    missing |= InsufficientHistoryError | BrokerError | RayClusterError
    return 1 if isinstance(error, missing) else None


def friendly_errors(func: F) -> F:
    """Turn the platform's expected errors into a message on stderr and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as error:
            code = user_error_code(error)
            if code is None:
                raise
            fail(str(error), code=code)

    return wrapper  # type: ignore[return-value]
