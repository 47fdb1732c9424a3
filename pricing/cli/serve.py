"""``pricing build`` and ``pricing serve``: the BentoML pricing service.

A bento is served by its folder in the bento store, never by its tag: ``bentoml serve
pricing:TAG`` first tries the tag as the Python module ``pricing`` with an attribute ``TAG``,
which imports an installed ``pricing`` (a checkout's, in development); the bento's service then
runs with that ``pricing`` instead of the copy packed into the bento. A folder is only ever
loaded as a bento.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, settings
from pricing.settings import Settings


def _models(tags: dict[str, str]) -> str:
    return ", ".join(tags[kind] for kind in sorted(tags)) or "no models"


def _build(cfg: Settings) -> str:
    from pricing_bentos.build import build_bento, require_feature_store

    require_feature_store(cfg)  # the build imports the service, which checks it too
    with console.status("bentoml build (prod models pinned, packages not locked)"):
        return build_bento(cfg)


def prod_bento(cfg: Settings) -> str:
    """The newest bento when it pins the prod models; else one built now, saying why (a bento
    pins its models at build time, so one built before prod moved serves the old set)."""
    from pricing_bentos.build import latest_bento, pinned_tags, prod_tags

    newest, prod = latest_bento(cfg), prod_tags(cfg)
    if newest is None:
        console.print("no bento built yet: building one of prod first")
    elif (pinned := pinned_tags(cfg, newest)) != prod:
        console.print(
            f"the newest bento {newest} serves {_models(pinned)} but prod is "
            f"{_models(prod)}: building a bento of prod first"
        )
    else:
        return newest
    tag = _build(cfg)
    console.print(f"built [bold]{tag}[/] (prod: {_models(prod)})")
    return tag


def _existing(cfg: Settings, tag: str) -> str:
    from bentoml.exceptions import NotFound

    from pricing_bentos.build import pinned_tags

    try:
        pinned_tags(cfg, tag)
    except NotFound:
        fail(f"no bento {tag} in {cfg.bentoml_home / 'bentos'}; `pricing build` makes one")
    return tag


def build(
    export: Annotated[
        Path | None,
        typer.Option(
            help="Also write the bento, models included, to this .bento archive (`bentoml "
            "import` reads it on another machine).",
        ),
    ] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Build a versioned bento of the pricing and forecaster services with the home's prod
    models and serving inputs (so it also serves away from the home)."""
    from pricing.serving.process import serve_command_line
    from pricing_bentos.build import bento_path, export_bento

    cfg = settings()
    tag = _build(cfg)
    console.print(f"built [bold]{tag}[/]; serve it with `pricing serve`, or from any folder:")
    console.print(serve_command_line(cfg, str(bento_path(cfg, tag))), markup=False, soft_wrap=True)
    out: dict[str, str] = {"bento": tag}
    if export is not None:
        archive = export_bento(cfg, tag, export.expanduser().resolve())
        console.print(
            f"exported to {archive}: `bentoml import {archive}`, then `bentoml serve "
            f"{tag}` with PRICING_ONLINE_STORE and its address set (docs/serving.md)"
        )
        out["export"] = str(archive)
    if json_out:
        emit_json(out)


def serve(
    port: Annotated[int, typer.Option(help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    bento: Annotated[
        str | None,
        typer.Option(help="Serve exactly this bento (default: one of prod, built if needed)."),
    ] = None,
) -> None:
    """Start the pricing service (``bentoml serve``) on this home's prod models and features;
    SIGTERM or Ctrl-C stops it and its workers."""
    from pricing.processes import supervise
    from pricing.serving.process import serve_command, service_environment
    from pricing_bentos.build import bento_path, require_feature_store

    cfg = settings()
    require_feature_store(cfg)
    target = prod_bento(cfg) if bento is None else _existing(cfg, bento)
    console.print(f"serving {target} on http://{host}:{port} (OpenAPI at /docs.json)")
    folder = str(bento_path(cfg, target))
    code = supervise(serve_command(folder, host, port), service_environment(cfg))
    raise typer.Exit(code)
