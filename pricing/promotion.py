"""Champion/challenger: a retrained model set reaches clients only if it is no worse.

The challenger is the most recently trained model of each kind; the champion is the set the
``prod`` alias names (``<BENTOML_HOME>/aliases.json``, read and written by
:mod:`pricing.registry` only). Both are scored on the same evaluation, whose sizes and
thresholds come from Settings (``promote_scenarios``, ``promote_seed``,
``promote_policy_points``, ``promote_forecast_ratio``):

- policy: each set's agent in the policy benchmark with the TRUE demand (the same seeded,
  unseen scenarios and common random numbers): % of the exact oracle;
- forecast: each set's saved demand model over the home's last K periods, forecasting H ahead
  from the backtest's origins (every H periods) with only the history before each origin (no
  refitting), WAPE.
  A model trained on data that includes that window is scored partly in-sample, which favours
  the newer set: the forecast gate is therefore a "no worse than" check with a tolerance, and
  the leak-free policy score carries the decision. On a history too short to hold those K
  periods out the forecast is not scored: the policy decides alone and the decision says so.

Every decision, with its figures, is appended to ``promotions.jsonl``; ``rollback`` restores
the previous ``prod``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from pricing.data.home import HomeData
from pricing.models.history import InsufficientHistoryError
from pricing.registry import MODEL_NAMES, get_model, prod_history, prod_set, set_prod
from pricing.settings import Settings

KINDS = tuple(MODEL_NAMES)
DECISIONS_FILE = "promotions.jsonl"
DRAWS = 10  # demand paths per scenario, the same for both sets (common random numbers)
Progress = Callable[[str], None]


class PromotionError(RuntimeError):
    """Nothing to promote or roll back to."""


@dataclass(frozen=True)
class Thresholds:
    """How much worse than prod a challenger may score and still be promoted."""

    policy_points: float  # the challenger may trail prod by this many % of oracle
    forecast_ratio: float  # ... and its WAPE may exceed prod's by this factor

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(settings.promote_policy_points, settings.promote_forecast_ratio)


def challenger_set(settings: Settings) -> dict[str, str]:
    """The most recently trained model of each kind."""
    return {kind: get_model(settings, kind).tag for kind in KINDS}


def _record(settings: Settings, decision: dict[str, Any]) -> None:
    path = settings.bentoml_home / DECISIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(decision, sort_keys=True, default=str) + "\n")


def decisions(settings: Settings) -> list[dict[str, Any]]:
    path = settings.bentoml_home / DECISIONS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def forecast_wape(settings: Settings, demand_tag: str) -> float:
    """A saved demand model's WAPE on the home's last K periods (no refitting), from the
    backtest's own origins, planned prices and scoring (``InsufficientHistoryError`` when
    the home's history is too short to hold K periods out)."""
    from pricing.models.backtest import origins, rolling_origins, wape
    from pricing.models.demand import DemandForecaster
    from pricing.models.history import promotion_forecast
    from pricing.models.series import DEFAULT_HOLDOUT, build_panel

    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    panel = build_panel(home.read("sales"), home.read("competitor_prices"), grain)
    holdout = DEFAULT_HOLDOUT[grain]
    promotion_forecast(grain, holdout).require(len(panel.dates))
    forecaster = DemandForecaster.load(get_model(settings, "demand", demand_tag).path)
    starts = origins(len(panel.dates), forecaster.horizon, holdout)
    cuts = list(rolling_origins(panel, forecaster.horizon, starts))
    forecast = [forecaster.predict_panel(c.history, c.price, c.promo)[..., 1] for c in cuts]
    return wape(
        np.stack([c.actual for c in cuts], 1),
        np.stack(forecast, 1),
        np.stack([c.mask for c in cuts], 1),
    )


def evaluate_set(settings: Settings, tags: dict[str, str]) -> dict[str, Any]:
    """The figures promotion compares, for one model set: the agent's % of oracle on
    ``promote_scenarios`` scenarios of seed ``promote_seed``, the forecaster's WAPE (None,
    with ``forecast_skipped`` saying why, on a history too short to score it)."""
    from pricing.evaluation.policy_bench import true_demand_bench
    from pricing.models.agent_export import NumpyPolicy

    agent = NumpyPolicy.load(get_model(settings, "agent", tags["agent"]).path)
    bench = true_demand_bench(agent, settings.promote_scenarios, settings.promote_seed, DRAWS)
    scores: dict[str, Any] = {"policy_pct_of_oracle": bench.rounded()["ppo"]}
    try:
        return scores | {"forecast_wape": forecast_wape(settings, tags["demand"])}
    except InsufficientHistoryError as error:
        return scores | {"forecast_wape": None, "forecast_skipped": str(error)}


def evaluate_challenger(settings: Settings) -> dict[str, Any]:
    """The challenger scored on exactly the evaluation promotion uses."""
    return evaluate_set(settings, challenger_set(settings))


def compare(
    challenger: dict[str, Any], champion: dict[str, Any], limits: Thresholds
) -> tuple[bool, list[str]]:
    """Whether the challenger is at least as good (within tolerance), and why (not); without
    a forecast score (too short a history) the policy decides alone and the reasons say so."""
    reasons, ok = [], True
    floor = champion["policy_pct_of_oracle"] - limits.policy_points
    if challenger["policy_pct_of_oracle"] < floor:
        ok = False
        reasons.append(
            f"policy {challenger['policy_pct_of_oracle']:.2f}% of oracle is below prod's "
            f"{champion['policy_pct_of_oracle']:.2f}% - {limits.policy_points} points"
        )
    if skipped := challenger.get("forecast_skipped") or champion.get("forecast_skipped"):
        reasons.append(f"forecast gate skipped: {skipped}")
        if ok:
            reasons.append("at least as good as prod on policy")
        return ok, reasons
    ceiling = champion["forecast_wape"] * limits.forecast_ratio
    if not challenger["forecast_wape"] <= ceiling:
        ok = False
        reasons.append(
            f"forecast WAPE {challenger['forecast_wape']:.4f} exceeds prod's "
            f"{champion['forecast_wape']:.4f} x {limits.forecast_ratio}"
        )
    if ok:
        reasons.append("at least as good as prod on policy and forecast")
    return ok, reasons


def promote(
    settings: Settings, force: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Move ``prod`` to the challenger if it is no worse (or ``force``); the decision."""
    say = progress or (lambda _: None)
    limits = Thresholds.of(settings)
    challenger, champion = challenger_set(settings), prod_set(settings)
    decision: dict[str, Any] = {
        "at": pd.Timestamp.now(tz="UTC").isoformat(),
        "challenger": challenger,
        "prod_before": champion,
        "forced": force,
        "thresholds": asdict(limits),
    }
    if champion == challenger:
        decision |= {"promoted": False, "reasons": ["the challenger already is prod"]}
    else:
        say("scoring the challenger")
        scores = {"challenger": evaluate_set(settings, challenger)}
        if champion is None:
            ok, reasons = True, ["no prod yet"]
            if skipped := scores["challenger"].get("forecast_skipped"):
                reasons.append(f"forecast gate skipped: {skipped}")
        else:
            say("scoring prod on the same evaluation")
            scores["prod"] = evaluate_set(settings, champion)
            ok, reasons = compare(scores["challenger"], scores["prod"], limits)
        if force and not ok:
            reasons.append("promoted anyway (--force)")
        decision |= {"scores": scores, "promoted": ok or force, "reasons": reasons}
    if decision["promoted"]:
        history = prod_history(settings)
        set_prod(settings, challenger, [*history, champion] if champion else history)
    decision["prod_after"] = prod_set(settings)
    _record(settings, decision)
    return decision


def rollback(settings: Settings) -> dict[str, Any]:
    """Point ``prod`` back at the set it named before the last promotion."""
    history, before = prod_history(settings), prod_set(settings)
    if not history:
        raise PromotionError("no earlier prod to roll back to")
    previous = history[-1]
    set_prod(settings, previous, history[:-1])
    decision = {
        "at": pd.Timestamp.now(tz="UTC").isoformat(),
        "rollback": True,
        "prod_before": before,
        "prod_after": previous,
    }
    _record(settings, decision)
    return decision
