"""Where the ladder's floor and ceiling sit at many competitor prices at once.

Used for observations (the agent is asked "what would you do were the competitor here?" along
a grid of competitor prices), never to choose a price: that is ``build_ladder``'s job.
"""

from __future__ import annotations

import numpy as np

from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import _hard_range, _soft_ranges, _valid  # one rule set, shared


def ladder_bounds(
    limits: ProductLimits,
    config: GuardrailConfig,
    current_price: float | None,
    competitor_prices: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate floor and ceiling of the ladder at each competitor price (vectorized).

    The same rules as ``build_ladder`` in the same order, giving way the same way, without
    snapping to the grid: cheap enough to ask at many competitor prices at once, for an
    observation, never for choosing a price. Both are non-decreasing in the competitor price.
    """
    hard = _hard_range(limits, config)
    lo = np.full(len(competitor_prices), hard.lo)
    hi = np.full(len(competitor_prices), max(hard.hi, hard.lo))
    current = round(current_price, 2) if _valid(current_price) else None
    for _rule, a, b in _soft_ranges(config, current, None):  # max change
        lo, hi = _give_way(lo, hi, np.full_like(lo, a), np.full_like(hi, b))
    if config.competitor_band is not None:
        band_lo, band_hi = config.competitor_band
        c = np.asarray(competitor_prices, dtype=float)
        lo, hi = _give_way(lo, hi, c * band_lo, c * band_hi)
    return lo, hi


def _give_way(
    lo: np.ndarray, hi: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi] narrowed by [a, b], or the edge nearest to [a, b] when they do not meet."""
    below, above = b < lo, a > hi
    new_lo = np.where(below, lo, np.where(above, hi, np.maximum(lo, a)))
    new_hi = np.where(below, lo, np.where(above, hi, np.minimum(hi, b)))
    return new_lo, new_hi
