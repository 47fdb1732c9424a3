"""The recommendation engine: online features -> allowed ladder -> agent -> priced answer.

Pure logic: the service hands it validated items and a feature source. Demand at a price comes
from ``expected_units`` (forecast at its reference price x the fitted price response, which is
evaluated once per request for all items in one batch); the agent picks from the step's
guardrail ladder, so no answer can break a hard rule. Unknown items get a per-item error;
missing or stale features get a flagged fallback price inside the hard guardrails. Every
answer says where its elasticity came from (``elasticity_source``: the item's own prices, or
a prior when they never varied enough), and a prior-only answer is never sure of itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from pricing.market.scenarios import PricingState
from pricing.models.agent import AgentPolicy, Outlook, decide_many
from pricing.models.agent_export import NumpyPolicy
from pricing.models.demand_at_price import expected_units
from pricing.models.elasticity import BASE, PriceResponseModel
from pricing.policy.guardrails import GuardrailPolicy
from pricing.policy.ladder import build_ladder
from pricing.serving.catalog import Catalog, Entry, UnknownItemError
from pricing.serving.confidence import cap_for_source, decision_confidence
from pricing.serving.explain import explain, not_allowed_reason
from pricing.serving.features import (
    FeatureSource,
    Row,
    freshness_problem,
    number,
    prefer_realtime,
)
from pricing.serving.http_requests import Item
from pricing.serving.prepared import AnswerPrices, Prepared

AMPLE_COVER = 3.0  # untracked stock is treated as this many horizons of demand


@dataclass(frozen=True)
class EngineConfig:
    reward: Literal["revenue", "profit"] = "revenue"
    horizon: int = 28
    max_age: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(days=2))


def _round(value: float, digits: int = 4) -> float | None:
    return round(float(value), digits) if math.isfinite(value) else None


class Engine:
    """Prices items from online features with one price-response model and one agent."""

    def __init__(
        self,
        response: PriceResponseModel,
        agent: NumpyPolicy,
        catalog: Catalog,
        guardrails: GuardrailPolicy,
        versions: dict[str, str],
        as_of: Callable[[], pd.Timestamp],
        config: EngineConfig | None = None,
    ) -> None:
        self.response, self.agent, self.catalog = response, agent, catalog
        self.guardrails, self.versions, self.as_of = guardrails, versions, as_of
        self.config = config or EngineConfig()
        self.sources = response.sources()  # per series: fitted, or which prior it took

    # ----------------------------------------------------------------- assembly
    def _prepare(self, slot: int, item: Item, entry: Entry, row: Row, asked: Any) -> Prepared:
        config = self.guardrails.for_product(entry.product_id, entry.category)
        current = number(row, "last_price")
        competitor = item.competitor_price or number(row, "competitor_min_price")
        inventory = item.inventory if item.inventory is not None else number(row, "on_hand")
        ladder = build_ladder(
            entry.limits,
            config,
            current if math.isfinite(current) else None,
            competitor if math.isfinite(competitor) else None,
        )
        ref = number(row, "forecast_ref_price")
        prices = np.concatenate([np.asarray(asked if asked is not None else [], float), [ref]])
        return Prepared(slot, entry, row, config, ladder, current, competitor, inventory, prices)

    def _evaluate(self, batch: list[Prepared]) -> None:
        """All items' member log units in one call (relative to each item's reference)."""
        if not batch:
            return
        width = max(len(p.prices) for p in batch)
        grid = np.stack([np.pad(p.prices, (0, width - len(p.prices)), mode="edge") for p in batch])
        frame = {name: np.array([number(p.row, name) for p in batch]) for name in BASE}
        frame["competitor_min_price"] = np.array([p.competitor for p in batch])
        frame["promo"], frame["t"] = np.zeros(len(batch)), np.zeros(len(batch))
        idx = np.array([p.entry.index for p in batch])
        log_q = self.response.log_units(frame, idx, grid, fast=True)
        for j, p in enumerate(batch):
            members = log_q[:, j, : len(p.prices)]
            p.members = members - members[:, -1:]

    # ----------------------------------------------------------------- decisions
    def _margin(self, price: float, entry: Entry) -> float:
        if self.config.reward == "profit" and math.isfinite(entry.unit_cost):
            return price - entry.unit_cost
        return price

    def _inventory(self, p: Prepared) -> float:
        """Stock the agent plans with: untracked stock counts as ample."""
        if math.isfinite(p.inventory):
            return p.inventory
        return AMPLE_COVER * self.config.horizon * p.base

    def _agent(self, p: Prepared, when: pd.Timestamp) -> tuple[AgentPolicy, PricingState]:
        """The agent's view of one item: an outlook over the selling horizon and its state."""
        horizon, entry = self.config.horizon, p.entry
        outlook = Outlook(
            p.ref, np.full(horizon, p.base), np.full(horizon, p.elasticity), np.zeros(horizon)
        )
        state = PricingState(
            0, horizon, self._inventory(p), p.current, p.competitor, p.ladder, entry.product_id,
            entry.category or "", entry.location_id, entry.unit_cost, when, self.config.reward,
        )  # fmt: skip
        return AgentPolicy(outlook, entry.limits, p.config, self.agent), state

    def _choose(self, batch: list[Prepared], when: pd.Timestamp) -> None:
        """The agent's prices from the ladders (one forward pass for all items; no price
        response needed); each item then knows the few prices its answer needs evaluated."""
        decisions = decide_many([self._agent(p, when) for p in batch])
        for p, (price, probability) in zip(batch, decisions, strict=True):
            p.decide(price, probability)

    def _answer(self, p: Prepared, when: pd.Timestamp) -> tuple[dict[str, Any], dict[str, Any]]:
        horizon, ladder, entry, price = self.config.horizon, p.ladder, p.entry, p.price
        units = float(expected_units(entry.product_id, entry.location_id, price, p.context(when)))
        sold = min(units, p.inventory) if math.isfinite(p.inventory) else units
        n = len(ladder.prices)
        at_edge = n > 1 and (price <= ladder.prices[0] + 1e-9 or price >= ladder.prices[-1] - 1e-9)
        binding = tuple(r for r in ladder.applied if r != "price_ending") if at_edge else ()
        cover = p.inventory / max(units, 1e-9)
        source = str(self.sources[entry.index])
        confidence = decision_confidence(
            p,
            AnswerPrices(*(self._margin(x, entry) for x in p.answer)),
            self.config.horizon,
            self._inventory(p),
        )
        result = {
            **self._head(p, price),
            "confidence": _round(cap_for_source(confidence, source), 3),
            "expected_units": _round(units),
            "expected_revenue": _round(price * sold),
            "elasticity": _round(p.elasticity),
            "elasticity_source": source,
            "explanation": explain(
                price,
                p.current,
                p.competitor,
                p.elasticity,
                cover,
                horizon,
                binding,
                ladder.conflicts,
                source,
            ),
            "policy": "ppo",
        }
        return result, self._record(p, result, "ppo", p.probability)

    def _head(self, p: Prepared, price: float) -> dict[str, Any]:
        rules = p.ladder
        return {
            "product_id": p.entry.product_id,
            "location_id": p.entry.location_id,
            "recommended_price": round(float(price), 2),
            "current_price": _round(p.current, 2),
            "competitor_price": _round(p.competitor, 2),
            "guardrails_applied": {
                "rules": list(rules.applied),
                "conflicts": list(rules.conflicts),
                "not_applicable": list(rules.not_applicable),
                "allowed_range": [float(rules.prices[0]), float(rules.prices[-1])],
            },
            "model_version": {**self.versions, "forecast": p.row.get("forecast_model")},
            "fallback": False,
        }

    def _fallback(self, p: Prepared, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The price in effect (or the reference), kept inside the hard guardrails."""
        target = (
            p.current
            if math.isfinite(p.current)
            else float(self.response.series["ref_price"].iloc[p.entry.index])
        )
        price = p.ladder.nearest(target)
        result = {
            **self._head(p, price),
            "confidence": None,
            "expected_units": None,
            "expected_revenue": None,
            "elasticity": None,
            "elasticity_source": None,
            "explanation": f"Fallback to {price:.2f} ({reason}); no model decision was made.",
            "policy": "fallback",
            "fallback": True,
            "fallback_reason": reason,
        }
        return result, self._record(p, result, "fallback", None)

    def _record(
        self, p: Prepared, result: dict[str, Any], policy: str, probability: float | None
    ) -> dict[str, Any]:
        """What the decision log keeps (serialized later, by its writer thread)."""
        return {
            "product_id": p.entry.product_id,
            "location_id": p.entry.location_id,
            "policy": policy,
            "action_probability": probability,
            "recommended_price": result["recommended_price"],
            "current_price": result["current_price"],
            "allowed_prices": p.ladder.prices.tolist(),
            "features": p.row,
            "response": result,
        }

    # ----------------------------------------------------------------- entry points
    def _gather(
        self, items: Sequence[Item], source: FeatureSource, asked: Any = None
    ) -> tuple[list[dict[str, Any] | None], list[tuple[Prepared, str | None]]]:
        results: list[dict[str, Any] | None] = [None] * len(items)
        known: list[tuple[int, Item, Entry]] = []
        for slot, item in enumerate(items):
            try:
                known.append((slot, item, self.catalog.resolve(item.product_id, item.location_id)))
            except UnknownItemError as error:
                results[slot] = {
                    "product_id": item.product_id,
                    "location_id": item.location_id,
                    "error": str(error),
                }
        rows = source.read([(e.product_id, e.location_id) for _, _, e in known])
        as_of = self.as_of()
        prepared = []
        for (slot, item, entry), row in zip(known, rows, strict=True):
            row = prefer_realtime(row)
            problem = freshness_problem(row, as_of, self.config.max_age)
            prepared.append((self._prepare(slot, item, entry, row, asked), problem))
        return results, prepared

    def recommend(
        self, items: Sequence[Item], source: FeatureSource
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One answer per item (in order) and the decision records to log."""
        results, prepared = self._gather(items, source)
        when, records = self.as_of(), []
        priced = [p for p, problem in prepared if problem is None]
        self._choose(priced, when)
        self._evaluate(priced)
        for p, problem in prepared:
            result, record = self._fallback(p, problem) if problem else self._answer(p, when)
            results[p.slot] = result
            records.append(record)
        return [r for r in results if r is not None], records

    def simulate(
        self, item: Item, prices: Sequence[float], source: FeatureSource
    ) -> dict[str, Any]:
        """What-if: expected units, revenue and profit at each asked price."""
        results, prepared = self._gather([item], source, asked=list(prices))
        if results[0] is not None:
            raise UnknownItemError(results[0]["error"])
        p, problem = prepared[0]
        if problem:
            raise LookupError(f"cannot simulate {item.product_id}: {problem}")
        self._evaluate([p])
        asked = np.asarray(prices, float)
        units = expected_units(
            p.entry.product_id, p.entry.location_id, asked, p.context(self.as_of())
        )
        trust = self.response.confidence(p.entry.product_id, p.entry.location_id, asked)
        cost = p.entry.unit_cost
        points = [
            {
                "price": float(x),
                "expected_units": _round(u),
                "expected_revenue": _round(x * u),
                "expected_profit": _round((x - cost) * u) if math.isfinite(cost) else None,
                "allowed": bool(p.ladder.contains(float(x))),
                "reason": not_allowed_reason(float(x), p.ladder, p.config),
                "response_confidence": _round(c, 3),
            }
            for x, u, c in zip(asked, units, trust, strict=True)
        ]
        head = self._head(p, p.current if math.isfinite(p.current) else float(asked[0]))
        head.pop("recommended_price")
        return {
            **head,
            "elasticity": _round(p.elasticity),
            "elasticity_source": str(self.sources[p.entry.index]),
            "points": points,
        }
