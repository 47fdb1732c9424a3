"""``pricing build`` and ``pricing serve``: the BentoML pricing service."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, settings
from pricing.settings import Settings


def latest_bento(cfg: Settings) -> str | None:
    """The most recently built pricing bento in the home's bento store."""
    import bentoml
    from bentoml.exceptions import NotFound

    from pricing.registry import bind_bentoml

    bind_bentoml(cfg)
    try:
        bentos = bentoml.bentos.list("pricing")
    except NotFound:
        return None
    return str(max(bentos, key=lambda b: b.info.creation_time).tag) if bentos else None


def build(json_out: Annotated[bool, JSON_OPTION] = False) -> None:
    """Build a versioned bento of the pricing service with the home's prod models."""
    from pricing.registry import ModelNotFoundError
    from pricing_bentos.build import build_bento

    cfg = settings()
    try:
        with console.status("bentoml build (models pinned, packages not locked)"):
            tag = build_bento(cfg)
    except ModelNotFoundError as error:
        fail(str(error))
    console.print(f"built [bold]{tag}[/]; serve it with `pricing serve` or `bentoml serve {tag}`")
    if json_out:
        emit_json({"bento": tag})


def serve(
    port: Annotated[int, typer.Option(help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    bento: Annotated[
        str | None, typer.Option(help="Bento tag (default: the latest built, else the source).")
    ] = None,
) -> None:
    """Start the pricing service (``bentoml serve``) on this home's models and features."""
    from pricing.serving.process import service_environment

    cfg = settings()
    target = bento or latest_bento(cfg) or "pricing_bentos.service:Pricing"
    console.print(f"serving {target} on http://{host}:{port} (OpenAPI at /docs.json)")
    command = [sys.executable, "-m", "bentoml", "serve", target, "--host", host]
    command += ["--port", str(port)]
    raise typer.Exit(subprocess.call(command, env=service_environment(cfg)))
