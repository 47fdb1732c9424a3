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
from collections.abc import Sequence

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


def win_probabilities(
    new_members: np.ndarray,
    old_members: np.ndarray,
    new_margin: np.ndarray,
    old_margin: np.ndarray,
    units: np.ndarray,
    sigma: np.ndarray,
    periods: int,
    inventory: np.ndarray,
) -> np.ndarray:
    """P(earnings at the new price > earnings at the old one), for a batch of decisions.

    ``*_members``: (decisions, members), each bootstrap member's log units at the price,
    relative to the forecast's reference price; ``units``: the median forecast per period at
    that reference; the other arguments one value per decision.
    """
    new_members, old_members = np.asarray(new_members, float), np.asarray(old_members, float)
    new_margin, old_margin = np.asarray(new_margin, float), np.asarray(old_margin, float)
    delta = new_members - old_members
    m = delta.shape[1]
    spread = np.std(delta, axis=1, ddof=1) if m > 1 else np.zeros(len(delta))
    spread = np.maximum(spread * math.sqrt(1.0 + 1.0 / max(m, 1)), 1e-3)[:, None]
    base = np.asarray(units, float)[:, None] * np.exp(
        np.asarray(sigma, float)[:, None] * BASE_Z + old_members.mean(axis=1)[:, None]
    )
    old_units = periods * base
    new_units = old_units * np.exp(delta.mean(axis=1)[:, None] + spread * RESPONSE_Z)
    cap = np.where(np.isfinite(inventory), inventory, np.inf)[:, None]
    gain = new_margin[:, None] * np.minimum(new_units, cap) - old_margin[:, None] * np.minimum(
        old_units, cap
    )
    floor = 1e-12 * np.maximum(np.abs(old_margin), 1.0)[:, None]
    out = np.mean(gain > floor, axis=1)
    return np.where((new_margin <= 0) & (old_margin <= 0), 0.5, out)


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
    """:func:`win_probabilities` of one decision."""
    return float(
        win_probabilities(
            np.asarray(new_members, float)[None, :], np.asarray(old_members, float)[None, :],
            np.array([new_margin]), np.array([old_margin]), np.array([units]),
            np.array([sigma]), periods, np.array([inventory]),
        )[0]
    )  # fmt: skip


def decision_confidences(
    batch: Sequence[Prepared],
    margins: Sequence[AnswerPrices[float]],
    horizon: int,
    inventories: Sequence[float],
) -> np.ndarray:
    """The confidence of each decision of a batch; ``margins`` holds the reward per unit at
    each of its answer's prices. A move is compared with keeping the price in effect; keeping
    with the better of a step down or up the ladder (by expected earnings)."""
    out = np.ones(len(batch))  # a one-price ladder leaves nothing to doubt
    ask = [i for i, p in enumerate(batch) if len(p.ladder.prices) > 1]
    if not ask:
        return out
    chosen_items = [batch[i] for i in ask]
    stock = np.asarray(inventories, float)[ask]
    base = np.array([p.base for p in chosen_items])
    sigma = np.array(
        [
            forecast_sigma(number(p.row, "forecast_q10"), p.base, number(p.row, "forecast_q90"))
            for p in chosen_items
        ]
    )
    members = np.stack([p.members for p in chosen_items])  # (n, members, answer prices)
    margin = np.asarray(margins, float)[ask]  # (n, answer prices)
    chosen, current, below, above = 0, 1, 2, 3  # AnswerPrices' order
    moved = np.array([abs(p.price - p.current) > 1e-6 for p in chosen_items])
    units = horizon * base[:, None] * np.exp(members.mean(axis=1))
    earn = margin * np.minimum(units, stock[:, None])
    step = np.where(earn[:, below] >= earn[:, above], below, above)
    other = np.where(moved, chosen, step)
    rows = np.arange(len(ask))
    win = win_probabilities(
        members[rows, :, other], members[:, :, current], margin[rows, other],
        margin[:, current], base, sigma, horizon, stock,
    )  # fmt: skip
    out[ask] = np.where(moved, win, 1.0 - win)
    return out


def decision_confidence(
    p: Prepared, margins: AnswerPrices[float], horizon: int, inventory: float
) -> float:
    """:func:`decision_confidences` of one decision."""
    return float(decision_confidences([p], [margins], horizon, [inventory])[0])


def cap_for_source(confidence: float, source: str) -> float:
    """``confidence`` as is for a fitted elasticity, at most ``PRIOR_ONLY_CAP`` for a prior."""
    return confidence if source == FITTED else min(confidence, PRIOR_ONLY_CAP)
