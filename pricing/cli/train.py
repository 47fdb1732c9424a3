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
    """Train the model trio from a snapshot, publish their outputs to Feast, and promote them
    to prod if they are no worse than prod (the pipeline's own stages; `pricing build` then
    packs prod into a bento)."""
    from pricing.pipeline import train_all

    result = train_all(
        settings(),
        snapshot=snapshot,
        quick=quick,
        seed=seed,
        progress=lambda message: console.print(f"  {message}"),
    )
    for kind, model in result["models"].items():
        console.print(f"{kind:10s} {model['tag']}  sha256 {model['sha256'][:16]}...")
    promotion = result["promotion"]
    verdict = "promoted to prod" if promotion["promoted"] else "not promoted"
    console.print(f"{verdict}: {'; '.join(promotion['reasons'])}")
    if json_out:
        emit_json(result)
