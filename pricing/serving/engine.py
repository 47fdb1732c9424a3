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
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from pricing.models.agent_export import NumpyPolicy
from pricing.models.demand_at_price import expected_units, untrusted_reason
from pricing.models.elasticity import BASE, PriceResponseModel
from pricing.policy.guardrails import GuardrailConfig, GuardrailPolicy
from pricing.policy.ladder import Ladder, build_ladder
from pricing.serving.attribution import COMPETITOR, ELASTICITY, STOCK, Driver, attribute_many
from pricing.serving.catalog import Catalog, Entry, UnknownItemError
from pricing.serving.confidence import cap_for_source, decision_confidences
from pricing.serving.decisions import Ask, BatchDecider
from pricing.serving.explain import explain, not_allowed_reason
from pricing.serving.features import (
    FeatureSource,
    OnlineStoreUnavailable,
    Row,
    freshness_problem,
    number,
    prefer_realtime,
)
from pricing.serving.forecasts import GAP as FORECAST_GAP
from pricing.serving.forecasts import UNREACHABLE as FORECASTER_UNREACHABLE
from pricing.serving.http_requests import Item
from pricing.serving.prepared import AnswerPrices, Prepared
from pricing.serving.response_at import ItemUnpriced, ResponseAt

AMPLE_COVER = 3.0  # untracked stock is treated as this many horizons of demand
#: How many distinct (item, price in effect, competitor price) ladders are remembered.
LADDER_MEMO = 100_000


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
        self.decider = BatchDecider(agent, self.config.horizon, self.config.reward)
        # The elasticity a driver-neutral counterfactual assumes: the catalogue's median
        # price slope (the members' per-series priors), known from the model at start-up.
        self.median_elasticity = float(np.median(response.priors[:, :, 1].mean(axis=0)))
        self._configs: dict[tuple[str, str | None], GuardrailConfig] = {}
        self._ladders: dict[tuple[str, str, float | None, float | None], Ladder] = {}

    # ----------------------------------------------------------------- assembly
    def _ladder(self, entry: Entry, current: float, competitor: float) -> Ladder:
        """The item's ladder for this price in effect and competitor price: built once per
        combination, since both change far less often than requests arrive."""
        now = current if math.isfinite(current) else None
        rival = competitor if math.isfinite(competitor) else None
        key = (entry.product_id, entry.location_id, now, rival)
        ladder = self._ladders.get(key)
        if ladder is None:
            if len(self._ladders) >= LADDER_MEMO:
                self._ladders.clear()
            config = self._config(entry)
            ladder = self._ladders[key] = build_ladder(entry.limits, config, now, rival)
        return ladder

    def _config(self, entry: Entry) -> GuardrailConfig:
        key = (entry.product_id, entry.category)
        config = self._configs.get(key)
        if config is None:
            config = self._configs[key] = self.guardrails.for_product(*key)
        return config

    def _prepare(self, slot: int, item: Item, entry: Entry, row: Row, asked: Any) -> Prepared:
        current = number(row, "last_price")
        competitor = item.competitor_price or number(row, "competitor_min_price")
        inventory = item.inventory if item.inventory is not None else number(row, "on_hand")
        ladder = self._ladder(entry, current, competitor)
        ref = number(row, "forecast_ref_price")
        prices = np.concatenate([np.asarray(asked if asked is not None else [], float), [ref]])
        config = self._config(entry)
        return Prepared(slot, entry, row, config, ladder, current, competitor, inventory, prices)

    def _evaluate(self, batch: list[Prepared]) -> None:
        """All items' member log units in one call (relative to each item's reference)."""
        if not batch:
            return
        width = max(len(p.prices) for p in batch)
        grid = np.empty((len(batch), width))
        for i, p in enumerate(batch):  # each row padded with its last price (the reference)
            grid[i, : len(p.prices)], grid[i, len(p.prices) :] = p.prices, p.prices[-1]
        # Feast's Float64 features arrive as floats or None (NaN here).
        frame = {name: np.array([p.row.get(name) for p in batch], float) for name in BASE}
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

    def _ask(self, p: Prepared, **neutral: float) -> Ask:
        """The agent's question for one item, with any driver replaced by its neutral value."""
        entry = p.entry
        return Ask(
            (entry.product_id, entry.location_id), entry.limits, p.config, p.ladder, p.ref,
            p.base, p.current, neutral.get("competitor", p.competitor),
            neutral.get("inventory", self._inventory(p)),
            neutral.get("elasticity", p.elasticity), entry.unit_cost,
        )  # fmt: skip

    def _counterfactuals(self, p: Prepared) -> dict[str, Ask]:
        """The drivers that can be made neutral for this item, each as the question it makes:
        ample stock (when stock is tracked), the competitor at our price (when both are known),
        the catalogue's median elasticity. Promotions are not asked: serving prices the next
        period without one."""
        asks = {}
        if math.isfinite(p.inventory):
            asks[STOCK] = self._ask(p, inventory=AMPLE_COVER * self.config.horizon * p.base)
        if math.isfinite(p.competitor) and math.isfinite(p.current):
            asks[COMPETITOR] = self._ask(p, competitor=p.current)
        if math.isfinite(self.median_elasticity):
            asks[ELASTICITY] = self._ask(p, elasticity=self.median_elasticity)
        return asks

    def _choose(self, batch: list[Prepared]) -> None:
        """The agent's prices from the ladders, and each driver's counterfactual price, in
        one forward pass for the whole batch; each item then knows the few prices its answer
        needs evaluated."""
        asks: list[Ask] = []
        owners: list[tuple[int, str]] = []
        for i, p in enumerate(batch):
            variants = {"": self._ask(p), **self._counterfactuals(p)}
            asks += variants.values()
            owners += [(i, name) for name in variants]
        prices, probabilities = self.decider.decide(asks)
        for (i, name), price, probability in zip(owners, prices, probabilities, strict=True):
            if name:
                batch[i].counterfactuals[name] = float(price)
            else:
                batch[i].decide(float(price), float(probability))

    def _attribute(self, batch: list[Prepared]) -> list[list[Driver]]:
        """Every priced item's drivers, attributed over the batch at once."""
        names = (STOCK, COMPETITOR, ELASTICITY)
        table = {n: np.array([p.counterfactuals.get(n, math.nan) for p in batch]) for n in names}
        chosen = np.array([p.price for p in batch])
        return attribute_many(chosen, np.array([p.current for p in batch]), table)

    def _confidences(self, batch: list[Prepared]) -> np.ndarray:
        """Every priced item's confidence, integrated over the batch at once."""
        margins = [AnswerPrices(*(self._margin(x, p.entry) for x in p.answer)) for p in batch]
        stock = [self._inventory(p) for p in batch]
        return decision_confidences(batch, margins, self.config.horizon, stock)

    def _answer(
        self, p: Prepared, when: pd.Timestamp, drivers: list[Driver], confidence: float
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        horizon, ladder, entry, price = self.config.horizon, p.ladder, p.entry, p.price
        units = float(expected_units(entry.product_id, entry.location_id, price, p.context(when)))
        sold = min(units, p.inventory) if math.isfinite(p.inventory) else units
        n = len(ladder.prices)
        at_edge = n > 1 and (price <= ladder.prices[0] + 1e-9 or price >= ladder.prices[-1] - 1e-9)
        binding = tuple(r for r in ladder.applied if r != "price_ending") if at_edge else ()
        cover = p.inventory / max(units, 1e-9)
        source = str(self.sources[entry.index])
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
                drivers,
                competitor=p.competitor,
                elasticity=p.elasticity,
                cover=cover,
                periods=horizon,
                binding=binding,
                conflicts=ladder.conflicts,
                source=source,
            ),
            "drivers": [
                {"name": d.name, "counterfactual_price": d.counterfactual_price, "effect": d.effect}
                for d in drivers
            ],
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
        """What the decision log keeps (``features`` and ``response`` become JSON there)."""
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
    ) -> tuple[list[dict[str, Any] | None], list[tuple[Prepared, str | None]], bool]:
        """Per item its error (unknown) or None; the known ones prepared with the problem of
        their row (None when usable); and whether the online read failed."""
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
        outage: str | None = None
        try:
            rows = source.read([(e.product_id, e.location_id) for _, _, e in known])
        except OnlineStoreUnavailable as error:
            rows, outage = [{} for _ in known], str(error)
        as_of = self.as_of()
        prepared = []
        for (slot, item, entry), row in zip(known, rows, strict=True):
            row = prefer_realtime(row)
            problem = outage or freshness_problem(row, as_of, self.config.max_age)
            if problem and (gap := row.get(FORECAST_GAP)):
                problem += f" (live forecast: {gap})"  # why the forecaster did not fill it
            prepared.append((self._prepare(slot, item, entry, row, asked), problem))
        return results, prepared, outage is not None

    def recommend(
        self, items: Sequence[Item], source: FeatureSource
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One answer per item (in order) and the decision records to log."""
        results, prepared, _ = self._gather(items, source)
        when, records = self.as_of(), []
        priced = [p for p, problem in prepared if problem is None]
        self._choose(priced)
        self._evaluate(priced)
        answered = zip(self._attribute(priced), self._confidences(priced), strict=True)
        for p, problem in prepared:
            if problem:
                result, record = self._fallback(p, problem)
            else:
                result, record = self._answer(p, when, *next(answered))
            results[p.slot] = result
            records.append(record)
        return [r for r in results if r is not None], records

    def _respond(
        self, item: Item, prices: Sequence[float], source: FeatureSource, purpose: str
    ) -> tuple[Prepared, ResponseAt]:
        """The item prepared from its online row and its price response at ``prices``;
        UnknownItemError, or ItemUnpriced naming why its row cannot be used."""
        results, prepared, outage = self._gather([item], source, asked=list(prices))
        if results[0] is not None:
            raise UnknownItemError(results[0]["error"])
        p, problem = prepared[0]
        if problem:
            failed = outage or bool(p.row.get(FORECASTER_UNREACHABLE))  # not the data's fault
            raise ItemUnpriced(f"cannot {purpose} {item.product_id}: {problem}", failed)
        self._evaluate([p])
        asked = np.asarray(prices, float)
        product, location = p.entry.product_id, p.entry.location_id
        per_unit = replace(p.context(self.as_of()), base_units=1.0)
        trust = self.response.confidence(product, location, asked)
        limits = p.entry.limits
        doubts = [
            untrusted_reason(float(x), float(c), limits.observed_min, limits.observed_max)
            for x, c in zip(asked, trust, strict=True)
        ]
        ratios = expected_units(product, location, asked, per_unit)
        return p, ResponseAt(p.ref, ratios, trust, doubts)

    def response_at(self, item: Item, prices: Sequence[float], source: FeatureSource) -> ResponseAt:
        """The price response /forecast scales the forecaster's units by (the same as
        /simulate's): relative to the price the published forecast holds at."""
        return self._respond(item, prices, source, "forecast")[1]

    def simulate(
        self, item: Item, prices: Sequence[float], source: FeatureSource
    ) -> dict[str, Any]:
        """What-if: expected units, revenue and profit at each asked price; no figures (and the
        reason) where the price response is not trusted, far outside the observed prices."""
        p, at = self._respond(item, prices, source, "simulate")
        cost = p.entry.unit_cost
        units = p.base * at.trusted_ratios()  # NaN: no figure
        points = [
            {
                "price": float(x),
                "expected_units": _round(u),
                "expected_revenue": _round(x * u),
                "expected_profit": _round((x - cost) * u) if math.isfinite(cost) else None,
                "allowed": bool(p.ladder.contains(float(x))),
                "reason": not_allowed_reason(float(x), p.ladder, p.config),
                "response_confidence": _round(c, 3),
                "trusted": doubt is None,
                "trust_reason": doubt,
            }
            for x, u, c, doubt in zip(prices, units, at.confidence, at.doubts, strict=True)
        ]
        head = self._head(p, p.current if math.isfinite(p.current) else float(prices[0]))
        head.pop("recommended_price")
        return {
            **head,
            "elasticity": _round(p.elasticity),
            "elasticity_source": str(self.sources[p.entry.index]),
            "points": points,
        }
