"""Human sentences: what moved each recommendation and what held it back, why a price is not
allowed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pricing.models.elasticity_design import DEFAULT, FITTED, POOLED
from pricing.policy.guardrails import GuardrailConfig
from pricing.policy.ladder import Ladder
from pricing.serving.attribution import (
    COMPETITOR,
    ELASTICITY,
    PROMOTION,
    STOCK,
    Driver,
    direction,
    partition,
)

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


def _competitor_words(current: float, competitor: float) -> str | None:
    if not (math.isfinite(competitor) and current > 0):
        return None
    gap = competitor / current - 1.0
    if abs(gap) < 0.005:
        return f"the competitor matches us at {competitor:.2f}"
    side = "above" if gap > 0 else "below"
    return f"the competitor is {abs(gap):.0%} {side} us at {competitor:.2f}"


def _stock_words(cover: float, periods: int) -> str | None:
    if not math.isfinite(cover):
        return None
    if cover < periods:
        return f"stock covers only {cover:.0f} of the next {periods} periods"
    return f"stock covers {cover:.0f} periods, more than the {periods} ahead"


#: A driver named without its evidence (unknown inputs, or a driver this module has no words
#: for yet).
_PLAIN_WORDS = {
    STOCK: "the stock level",
    COMPETITOR: "the competitor's price",
    ELASTICITY: "the price response",
    PROMOTION: "a promotion is running",
}


@dataclass(frozen=True)
class _Evidence:
    """What each driver is said with: the inputs behind the decision."""

    current: float
    competitor: float
    elasticity: float
    source: str
    cover: float
    periods: int

    def words(self, driver: Driver) -> str:
        """The driver with its evidence ('stock covers only 2 of the next 28 periods')."""
        said = None
        if driver.name == STOCK:
            said = _stock_words(self.cover, self.periods)
        elif driver.name == COMPETITOR:
            said = _competitor_words(self.current, self.competitor)
        elif driver.name == ELASTICITY:
            said = _elasticity_words(self.elasticity, self.source)
        return said or _PLAIN_WORDS.get(driver.name, driver.name)


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def explain(
    recommended: float,
    current: float,
    drivers: Sequence[Driver],
    *,
    competitor: float,
    elasticity: float,
    cover: float,
    periods: int,
    binding: tuple[str, ...] = (),
    conflicts: tuple[str, ...] = (),
    source: str = FITTED,
) -> str:
    """E.g. 'Raise 4.0% to 2.69: stock covers only 9 of the next 28 periods, although the
    competitor is 6% below us at 2.43; held at the edge set by the max change per period.'

    ``drivers`` come from :func:`~pricing.serving.attribution.attribute`: those that pushed
    the price the way it moved (or held it, on a keep) are the reasons, strongest first; those
    that pushed the other way follow "although"; a driver without effect is not named. An
    elasticity from a prior is always said to be one, named as a reason or not."""
    move = direction(recommended, current)
    if move == 0:
        head = f"Keep {recommended:.2f}"
    else:
        change = abs(recommended / current - 1.0)
        head = f"{'Raise' if move > 0 else 'Cut'} {change:.1%} to {recommended:.2f}"
    evidence = _Evidence(current, competitor, elasticity, source, cover, periods)
    pushed, held = partition(drivers, recommended, current)
    sentence = head
    if pushed:
        sentence += ": " + _listed([evidence.words(d) for d in pushed])
    if held:
        sentence += ", although " + _listed([evidence.words(d) for d in held])
    named = {d.name for d in pushed + held}
    if source in _SOURCE_WORDS and ELASTICITY not in named:
        prior = _elasticity_words(elasticity, source)
        if prior:
            sentence += ("; " if pushed or held else ": ") + prior
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
