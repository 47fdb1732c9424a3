"""``pricing promote`` and ``pricing rollback``: move the ``prod`` alias by hand; when it
moves, a bento of the new prod is built, so a (re)started ``pricing serve`` serves it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, settings
from pricing.cli.serve import prod_bento


def promote(
    force: Annotated[bool, typer.Option(help="Promote even if the challenger is worse.")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Score the newest models (challenger) against prod; move prod only if no worse (then
    build a bento of it)."""
    from pricing.promotion import promote as run_promotion

    cfg = settings()
    decision: dict[str, Any] = run_promotion(cfg, force, progress=console.print)
    verdict = "[green]promoted[/]" if decision["promoted"] else "[yellow]not promoted[/]"
    console.print(f"{verdict}: {'; '.join(decision['reasons'])}")
    for side, figures in decision.get("scores", {}).items():
        console.print(f"  {side:10s} {figures}")
    if decision["promoted"]:
        decision["bento"] = prod_bento(cfg)
    if json_out:
        emit_json(decision)


def rollback(json_out: Annotated[bool, JSON_OPTION] = False) -> None:
    """Point prod back at the model set it named before the last promotion (and build a
    bento of it)."""
    from pricing.promotion import PromotionError
    from pricing.promotion import rollback as run_rollback

    cfg = settings()
    try:
        decision: dict[str, Any] = run_rollback(cfg)
    except PromotionError as error:
        fail(str(error))
    console.print(f"prod is now {decision['prod_after']}")
    decision["bento"] = prod_bento(cfg)
    if json_out:
        emit_json(decision)
