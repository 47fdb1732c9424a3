"""``pricing train``: the model trio from one snapshot."""

from __future__ import annotations

from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, settings


def train(
    snapshot: Annotated[str | None, typer.Option(help="Train from this snapshot id.")] = None,
    quick: Annotated[bool, typer.Option(help="Tiny models for smoke checks.")] = False,
    seed: Annotated[int | None, typer.Option(help="Random seed (default PRICING_SEED).")] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Train the model trio from a snapshot and publish their outputs to Feast."""
    from pricing.training import train_all

    result = train_all(
        settings(),
        snapshot=snapshot,
        quick=quick,
        seed=seed,
        progress=lambda message: console.print(f"  {message}"),
    )
    for kind, model in result["models"].items():
        console.print(f"{kind:10s} {model['tag']}  sha256 {model['sha256'][:16]}...")
    if json_out:
        emit_json(result)
