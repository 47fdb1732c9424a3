"""One item on its way to a price: its inputs, its ladder and its evaluated price response."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pricing.models.response import DemandContext
from pricing.policy.guardrails import GuardrailConfig
from pricing.policy.ladder import Ladder
from pricing.serving.catalog import Entry
from pricing.serving.features import Row, number


@dataclass(frozen=True)
class TabulatedResponse:
    """A price response evaluated ahead at known prices (log ratio vs the reference)."""

    prices: np.ndarray
    log_ratio: np.ndarray

    def ratio(
        self, product: str, location: str, prices: np.ndarray, context: DemandContext
    ) -> np.ndarray:
        order = np.argsort(self.prices)
        x, y = np.log(self.prices[order]), self.log_ratio[order]
        return np.exp(np.interp(np.log(np.asarray(prices, float)), x, y))


@dataclass
class Prepared:
    """One item on its way to a price: inputs, its ladder and its evaluated response."""

    slot: int
    entry: Entry
    row: Row
    config: GuardrailConfig
    ladder: Ladder
    current: float
    competitor: float
    inventory: float
    prices: np.ndarray  # the prices to evaluate; the reference price last
    members: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    price: float = math.nan  # the decision
    probability: float = math.nan  # the agent's probability of the action that set it

    @property
    def ref(self) -> float:
        return number(self.row, "forecast_ref_price")

    @property
    def base(self) -> float:
        return max(number(self.row, "forecast_units"), 1e-9)

    @property
    def elasticity(self) -> float:
        """The batch elasticity from the feature store: the same for any competitor override,
        so the agent's answer can be kept monotone in the competitor price."""
        return number(self.row, "elasticity")

    def context(self, when: pd.Timestamp) -> DemandContext:
        response = TabulatedResponse(self.prices, self.members.mean(axis=0))
        return DemandContext(when, self.ref, self.base, self.competitor, response)
