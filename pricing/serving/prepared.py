"""One item on its way to a price: its inputs, its ladder and its evaluated price response."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from pricing.models.demand_at_price import DemandContext
from pricing.policy.guardrails import GuardrailConfig
from pricing.policy.ladder import Ladder
from pricing.serving.catalog import Entry
from pricing.serving.features import Row, number

T = TypeVar("T")


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


class AnswerPrices(NamedTuple, Generic[T]):
    """One value (a price, a margin, member log units...) for each price a decision's answer is
    evaluated at, in the order they are evaluated: the reference last, as responses are
    measured against it."""

    chosen: T
    current: T  # the price in effect
    below: T  # its ladder neighbours: the alternatives to keeping it
    above: T
    ref: T  # the forecast's reference price


_UNDECIDED = AnswerPrices(math.nan, math.nan, math.nan, math.nan, math.nan)


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
    answer: AnswerPrices[float] = _UNDECIDED  # set by ``decide``
    probability: float = math.nan  # the agent's probability of the action that set it
    #: driver -> the price the policy chooses with that driver neutral (same ladder)
    counterfactuals: dict[str, float] = field(default_factory=dict)

    def decide(self, price: float, probability: float) -> None:
        """Record the agent's choice and the prices its answer needs evaluated."""
        ladder, current = self.ladder.prices, self.current
        at = int(np.searchsorted(ladder, current))
        below = float(ladder[at - 1]) if at > 0 else current
        above_at = at + 1 if at < len(ladder) and self.ladder.contains(current) else at
        above = float(ladder[above_at]) if above_at < len(ladder) else current
        self.answer = AnswerPrices(price, current, below, above, self.ref)
        self.prices, self.probability = np.array(self.answer), probability

    @property
    def price(self) -> float:
        """The decision."""
        return self.answer.chosen

    def answer_members(self) -> AnswerPrices[np.ndarray]:
        """Each answer price's member log units (once ``decide``'s prices are evaluated)."""
        return AnswerPrices(*self.members.T)

    @cached_property
    def ref(self) -> float:
        return number(self.row, "forecast_ref_price")

    @cached_property
    def base(self) -> float:
        return max(number(self.row, "forecast_units"), 1e-9)

    @cached_property
    def elasticity(self) -> float:
        """The batch elasticity from the feature store: the same for any competitor override,
        so the agent's answer can be kept monotone in the competitor price."""
        return number(self.row, "elasticity")

    def context(self, when: pd.Timestamp) -> DemandContext:
        response = TabulatedResponse(self.prices, self.members.mean(axis=0))
        return DemandContext(when, self.ref, self.base, self.competitor, response)
