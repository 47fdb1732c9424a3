"""``pricing train``: the model trio from one snapshot."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, settings
from pricing.settings import Settings


def _history_notes(cfg: Settings, quick: bool) -> list[str]:
    """What the home's history is too short for (refusing below the forecaster's minimum)."""
    from pricing.data.grain import period_range
    from pricing.data.home import HomeData
    from pricing.models import history
    from pricing.models.demand import ForecastConfig
    from pricing.models.series import DEFAULT_HOLDOUT, DEFAULT_HORIZON

    home = HomeData(cfg.data_dir)
    grain = home.require_grain()
    dates = home.read("sales")["date"]
    periods = len(period_range(dates.min(), dates.max(), grain)) if len(dates) else 0
    horizon, lookback = DEFAULT_HORIZON[grain], ForecastConfig.for_grain(grain, quick).lookback
    history.forecaster_minimum(grain, horizon).require(periods)
    return history.training_notes(grain, periods, horizon, lookback, DEFAULT_HOLDOUT[grain])


def _elasticity_sources(cfg: Settings, tag: str) -> dict[str, Any]:
    """How many series got their price slope from their own rows, how many from the prior."""
    from pricing.models.elasticity import PriceResponseModel
    from pricing.registry import get_model

    model = PriceResponseModel.load(get_model(cfg, "elasticity", tag).path)
    counts = dict(Counter(model.sources().tolist()))
    prior = model.prior
    return {"series": counts} | ({} if prior is None else {"prior": prior.__dict__})


def train(
    snapshot: Annotated[str | None, typer.Option(help="Train from this snapshot id.")] = None,
    quick: Annotated[bool, typer.Option(help="Tiny models for smoke checks.")] = False,
    seed: Annotated[int | None, typer.Option(help="Random seed (default PRICING_SEED).")] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Train the model trio from a snapshot, publish their outputs to Feast, and promote them
    to prod if they are no worse than prod (the pipeline's own stages; `pricing build` then
    packs prod into a bento). A history too short for a full forecaster window trains with
    each consequence flagged; one too short for any forecast window is refused."""
    from pricing.pipeline import train_all

    cfg = settings()
    notes = _history_notes(cfg, quick)
    for note in notes:
        console.print(f"[yellow]short history:[/] {note}")
    result = train_all(
        cfg,
        snapshot=snapshot,
        quick=quick,
        seed=seed,
        progress=lambda message: console.print(f"  {message}"),
    )
    for kind, model in result["models"].items():
        console.print(f"{kind:10s} {model['tag']}  sha256 {model['sha256'][:16]}...")
    sources = _elasticity_sources(cfg, result["models"]["elasticity"]["tag"])
    borrowed = {k: n for k, n in sources["series"].items() if k != "fitted"}
    if borrowed and (prior := sources.get("prior")):
        total = sum(sources["series"].values())
        console.print(
            f"[yellow]price response:[/] {sum(borrowed.values())} of {total} series show too "
            f"little price variation to fit their own elasticity: they take the "
            f"{prior['source'].replace('_', ' ')} {prior['mean']:.2f} (sd {prior['sd']:.2f}), "
            "flagged as elasticity_source"
        )
    promotion = result["promotion"]
    verdict = "promoted to prod" if promotion["promoted"] else "not promoted"
    console.print(f"{verdict}: {'; '.join(promotion['reasons'])}")
    if json_out:
        emit_json(result | {"history_notes": notes, "elasticity_sources": sources})
