"""Market shifts: a change in the market from one day on, injected into a simulated history.

The drift monitor is judged on them (``pricing bench drift``) and the demo ends its market
with one, so the monitor has something real to find. Each kind is a change a pricing manager
would want to hear about: every rival cutting at once (a price war), demand falling away (a
shock), or shoppers becoming more price-sensitive (an elasticity shift, which moves demand
only where our price is away from its reference, so it is the hardest to see).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from pricing.market.params import ProductParams

ShiftKind = Literal["price_war", "demand_shock", "elasticity"]
SHIFT_KINDS: tuple[ShiftKind, ...] = ("price_war", "demand_shock", "elasticity")
#: Default size of each kind: rivals 25% cheaper, demand 40% lower, elasticity 1.6x steeper.
DEFAULT_SIZE: dict[ShiftKind, float] = {"price_war": 0.25, "demand_shock": 0.4, "elasticity": 0.6}


@dataclass(frozen=True)
class MarketShift:
    """From day ``start`` (index into the simulated days) on, the market changes by ``size``."""

    kind: ShiftKind
    start: int
    size: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in SHIFT_KINDS:
            raise ValueError(f"unknown market shift {self.kind!r}; one of {SHIFT_KINDS}")
        if self.start < 1:
            raise ValueError(f"a market shift starts after day 0, got start={self.start}")

    @property
    def magnitude(self) -> float:
        return DEFAULT_SIZE[self.kind] if self.size is None else self.size

    def competitors(self, prices: np.ndarray) -> np.ndarray:
        """Rival prices (n, competitors, days) after the shift: all cut by ``size`` (a war)."""
        if self.kind != "price_war":
            return prices
        out = prices.copy()
        out[..., self.start :] = np.round(out[..., self.start :] * (1.0 - self.magnitude), 2)
        return out

    def demand_params(self, params: ProductParams) -> ProductParams:
        """A product's demand after the shift (before it, its params are unchanged)."""
        if self.kind == "demand_shock":
            return replace(params, base_demand=params.base_demand * (1.0 - self.magnitude))
        if self.kind == "elasticity":
            return replace(params, elasticity=params.elasticity * (1.0 + self.magnitude))
        return params
