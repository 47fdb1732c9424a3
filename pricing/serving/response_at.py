"""The price response of one item at asked prices, as the what-if and /forecast give it.

Units at a price are the forecast at its reference price times q(p)/q(p_ref)
(``expected_units``); where the response is not trusted (far outside the observed prices) no
figure is given, with the reason. /simulate multiplies the published forecast by these ratios,
/forecast the forecaster's quantiles at the reference price, so the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class ItemUnpriced(LookupError):
    """An item whose online row cannot be used now. ``unavailable`` when the online store or
    the forecaster failed (503: ask again), else its features are missing or stale (422)."""

    def __init__(self, message: str, unavailable: bool) -> None:
        super().__init__(message)
        self.unavailable = unavailable


@dataclass(frozen=True)
class ResponseAt:
    """q(p)/q(ref_price) at each asked price, the response's confidence there, and why a
    figure must not be given (None where it may)."""

    ref_price: float
    ratios: np.ndarray
    confidence: np.ndarray
    doubts: list[str | None]

    def trusted_ratios(self) -> np.ndarray:
        """The ratios, NaN where the response is not trusted."""
        return np.where([d is None for d in self.doubts], self.ratios, math.nan)
