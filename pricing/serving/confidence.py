"""Confidence: the probability that the recommended price earns more than the current one.

Two uncertainties are integrated on a fixed grid of draws (deterministic, so the same request
gets the same answer): the forecast's (a lognormal base demand through its 10/50/90
quantiles) and the price response's (the spread of the bootstrap members' log units between
the two prices, a normal inflated for the small ensemble). Earnings are counted over the
selling horizon at a constant price and capped by the stock on hand, so scarce stock makes a
higher price safer. When the recommendation keeps the current price, confidence is the
probability that keeping beats the best alternative price on the ladder. An item whose
elasticity is a prior (its prices never varied enough to fit one) has members spread over the
prior, and its confidence is capped at ``PRIOR_ONLY_CAP`` whatever the prior says.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from pricing.models.elasticity_design import FITTED
from pricing.serving.features import number
from pricing.serving.prepared import AnswerPrices, Prepared

_N = 15
_Z = norm.ppf((np.arange(_N) + 0.5) / _N)
BASE_Z, RESPONSE_Z = (g.ravel() for g in np.meshgrid(_Z, _Z, indexing="ij"))
_Q90 = float(norm.ppf(0.9))
#: The most a decision resting on a prior alone may claim: the prior is other series' (or the
#: literature's) evidence, never the item's own, so even a narrow one is not certainty.
PRIOR_ONLY_CAP = 0.8


def forecast_sigma(q10: float, q50: float, q90: float) -> float:
    """Log-scale spread of the forecast from its quantiles (floored: no forecast is certain)."""
    if not all(math.isfinite(v) and v > 0 for v in (q10, q50, q90)):
        return 0.5
    return max((math.log(q90) - math.log(q10)) / (2 * _Q90), 0.05)


def win_probability(
    new_members: np.ndarray,
    old_members: np.ndarray,
    new_margin: float,
    old_margin: float,
    units: float,
    sigma: float,
    periods: int,
    inventory: float,
) -> float:
    """P(earnings at the new price > earnings at the old one).

    ``*_members``: each bootstrap member's log units at the price, relative to the forecast's
    reference price; ``units``: the median forecast per period at that reference.
    """
    if new_margin <= 0 and old_margin <= 0:
        return 0.5
    delta = np.asarray(new_members, float) - np.asarray(old_members, float)
    spread = float(np.std(delta, ddof=1)) if len(delta) > 1 else 0.0
    spread = max(spread * math.sqrt(1.0 + 1.0 / max(len(delta), 1)), 1e-3)
    base = units * np.exp(sigma * BASE_Z + float(np.mean(old_members)))
    old_units = periods * base
    new_units = old_units * np.exp(float(np.mean(delta)) + spread * RESPONSE_Z)
    cap = inventory if math.isfinite(inventory) else np.inf
    gain = new_margin * np.minimum(new_units, cap) - old_margin * np.minimum(old_units, cap)
    return float(np.mean(gain > 1e-12 * max(abs(old_margin), 1.0)))


def decision_confidence(
    p: Prepared, margins: AnswerPrices[float], horizon: int, inventory: float
) -> float:
    """The confidence of one decision; ``margins`` holds the reward per unit at each of its
    answer's prices. A move is compared with keeping the price in effect; keeping with the
    better of a step down or up the ladder (by expected earnings)."""
    if len(p.ladder.prices) == 1:
        return 1.0
    sigma = forecast_sigma(number(p.row, "forecast_q10"), p.base, number(p.row, "forecast_q90"))
    members = p.answer_members()
    if abs(p.price - p.current) > 1e-6:
        return win_probability(
            members.chosen, members.current, margins.chosen, margins.current, p.base, sigma,
            horizon, inventory,
        )  # fmt: skip
    units = horizon * p.base * np.exp(p.members.mean(axis=0))
    earn = AnswerPrices(*(np.asarray(margins) * np.minimum(units, inventory)))
    step_down = earn.below >= earn.above
    win = win_probability(
        members.below if step_down else members.above, members.current,
        margins.below if step_down else margins.above, margins.current, p.base, sigma, horizon,
        inventory,
    )  # fmt: skip
    return 1.0 - win


def cap_for_source(confidence: float, source: str) -> float:
    """``confidence`` as is for a fitted elasticity, at most ``PRIOR_ONLY_CAP`` for a prior."""
    return confidence if source == FITTED else min(confidence, PRIOR_ONLY_CAP)
