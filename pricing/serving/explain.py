"""One human sentence per recommendation naming the drivers behind it."""

from __future__ import annotations

import math

_RULE_WORDS = {
    "cost_floor": "the cost floor",
    "min_price": "the minimum price",
    "max_price": "the maximum price",
    "observed_range": "the observed price range",
    "max_change": "the max change per period",
    "competitor_band": "the competitor band",
    "price_ending": "price endings",
}


def _elasticity_words(elasticity: float) -> str | None:
    if not math.isfinite(elasticity):
        return None
    size = abs(elasticity)
    kind = "inelastic" if size < 1 else "elastic" if size < 2.5 else "highly elastic"
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
            _elasticity_words(elasticity),
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
