"""``pricing evaluate``: score the forecaster and the price response on the home's own data."""

from __future__ import annotations

from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, friendly_errors, settings

app = typer.Typer(help="Evaluate models on the home's data.", no_args_is_help=True)


@app.command("elasticity")
@friendly_errors
def elasticity(
    seed: Annotated[int | None, typer.Option(help="Random seed (default PRICING_SEED).")] = None,
    quick: Annotated[bool, typer.Option(help="Smaller ensemble (smoke check).")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Fit the price response on the home's data; compare with the truth when it is known."""
    from pricing.models.elasticity_eval import evaluate_elasticity, snapshot_like_frame, truth_frame

    cfg = settings()
    with console.status("building the training frame (point-in-time features)"):
        frame = snapshot_like_frame(cfg)
    with console.status(f"fitting the price response on {len(frame)} rows"):
        result = evaluate_elasticity(
            frame, truth_frame(cfg), seed=cfg.seed if seed is None else seed, quick=quick
        )
    for key, value in result.items():
        console.print(f"  {key:20s} {value}")
    if json_out:
        emit_json(result)
