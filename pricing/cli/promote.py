"""``pricing promote`` and ``pricing rollback``: move the ``prod`` alias by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, settings


def promote(
    force: Annotated[bool, typer.Option(help="Promote even if the challenger is worse.")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Score the newest models (challenger) against prod; move prod only if no worse."""
    from pricing.promotion import promote as run_promotion

    decision = run_promotion(settings(), force, progress=console.print)
    verdict = "[green]promoted[/]" if decision["promoted"] else "[yellow]not promoted[/]"
    console.print(f"{verdict}: {'; '.join(decision['reasons'])}")
    for side, figures in decision.get("scores", {}).items():
        console.print(f"  {side:10s} {figures}")
    if json_out:
        emit_json(decision)


def rollback(json_out: Annotated[bool, JSON_OPTION] = False) -> None:
    """Point prod back at the model set it named before the last promotion."""
    from pricing.promotion import PromotionError
    from pricing.promotion import rollback as run_rollback

    try:
        decision = run_rollback(settings())
    except PromotionError as error:
        fail(str(error))
    console.print(f"prod is now {decision['prod_after']}")
    if json_out:
        emit_json(decision)
