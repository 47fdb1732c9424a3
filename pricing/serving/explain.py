"""Human sentences: the drivers behind each recommendation, why a price is not allowed."""

from __future__ import annotations

import math

import numpy as np

from pricing.models.elasticity_design import DEFAULT, FITTED, POOLED
from pricing.policy.guardrails import GuardrailConfig
from pricing.policy.ladder import Ladder

_RULE_WORDS = {
    "cost_floor": "the cost floor",
    "min_price": "the minimum price",
    "max_price": "the maximum price",
    "observed_range": "the observed price range",
    "max_change": "the max change per period",
    "competitor_band": "the competitor band",
    "price_ending": "price endings",
}


_SOURCE_WORDS = {
    POOLED: "the pooled prior of the other items",
    DEFAULT: "a default prior",
}


def _elasticity_words(elasticity: float, source: str) -> str | None:
    if not math.isfinite(elasticity):
        return None
    size = abs(elasticity)
    kind = "inelastic" if size < 1 else "elastic" if size < 2.5 else "highly elastic"
    if source in _SOURCE_WORDS:
        return (
            f"demand is taken as {kind} (elasticity {elasticity:.2f}, {_SOURCE_WORDS[source]}: "
            "its price never varied enough to measure)"
        )
    return f"demand is {kind} (elasticity {elasticity:.2f})"


def _competitor_words(current: float, competitor: float) -> str:
    if not math.isfinite(competitor):
        return "no competitor price is known"
    gap = competitor / current - 1.0
    if abs(gap) < 0.005:
        return f"the competitor matches us at {competitor:.2f}"
    side = "above" if gap > 0 else "below"
    return f"the competitor is {abs(gap):.0%} {side} us at {competitor:.2f}"


def _stock_words(cover: float, periods: int) -> str:
    if not math.isfinite(cover):
        return "stock is not tracked"
    if cover < periods:
        return f"stock covers only {cover:.0f} of the next {periods} periods"
    return "stock is ample"


def explain(
    recommended: float,
    current: float,
    competitor: float,
    elasticity: float,
    cover: float,
    periods: int,
    binding: tuple[str, ...],
    conflicts: tuple[str, ...] = (),
    source: str = FITTED,
) -> str:
    """E.g. 'Raise 4% to 2.69: demand is inelastic (elasticity -0.85), ...; held by ...'."""
    move = recommended / current - 1.0 if current > 0 else 0.0
    if abs(move) < 0.0005:
        head = f"Keep {recommended:.2f}"
    else:
        head = f"{'Raise' if move > 0 else 'Cut'} {abs(move):.1%} to {recommended:.2f}"
    drivers = [
        w
        for w in (
            _elasticity_words(elasticity, source),
            _competitor_words(current, competitor),
            _stock_words(cover, periods),
        )
        if w
    ]
    sentence = f"{head}: {', '.join(drivers[:-1])} and {drivers[-1]}"
    if binding:
        sentence += "; held at the edge set by " + " and ".join(
            _RULE_WORDS.get(r, r) for r in binding
        )
    if conflicts:
        sentence += f" (conflict: {conflicts[0]})"
    return sentence + "."


def not_allowed_reason(price: float, ladder: Ladder, config: GuardrailConfig) -> str | None:
    """Why the ladder does not hold ``price`` (None when it does): outside its range, and
    which rules set that range, or between two of its discrete steps, and which are nearest."""
    if ladder.contains(price):
        return None
    prices = ladder.prices
    lo, hi = float(prices[0]), float(prices[-1])
    rules = [_RULE_WORDS.get(r, r) for r in ladder.applied if r != "price_ending"]
    by = f", set by {' and '.join(rules)}" if rules else ""
    if not lo <= price <= hi:
        side = "below" if price < lo else "above"
        return f"{side} the allowed range {lo:.2f}-{hi:.2f}{by}"
    at = int(np.searchsorted(prices, price))
    if "price_ending" in ladder.applied and config.price_endings:
        grid = "allowed prices end in " + "/".join(
            f".{round(e * 100):02d}" for e in config.price_endings
        )
    else:
        step = float(np.median(np.diff(np.log(prices))))
        grid = f"{len(prices)} allowed prices about {math.expm1(step):.1%} apart"
    return (
        f"not on the price ladder ({grid}; "
        f"nearest allowed {float(prices[at - 1]):.2f} / {float(prices[at]):.2f})"
    )
