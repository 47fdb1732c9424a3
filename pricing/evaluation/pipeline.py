"""Question (b) of the policy benchmark: the whole pipeline on estimates, scored on the truth.

Each scenario product gets a simulated history ending where its horizon starts; the forecaster
and the price response are fitted once on the pooled histories (through the production path:
canonical tables, features, a snapshot's point-in-time rows, here built in a scratch home that
is deleted afterwards), and every policy then prices the scenarios with ``expected_units`` on
those estimates, while sales follow the true demand.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pricing.data.home import HomeData
from pricing.data.ingest import store_batch
from pricing.data.schemas import KEY, TABLES, CanonicalBatch
from pricing.market.generate import simulate_market
from pricing.market.scenarios import PricingState, Scenario
from pricing.models.demand import DemandForecaster
from pricing.models.demand_at_price import DemandContext, expected_units
from pricing.models.elasticity import BASE, PriceResponseModel
from pricing.policy.baseline_policies import DemandSource
from pricing.settings import Settings
from pricing.store.snapshots import training_frame

HISTORY_DAYS = 365


def scenario_histories(scenarios: list[Scenario], seed: int, days: int = HISTORY_DAYS):
    """One simulated history per scenario product, ending the day before its horizon."""
    rng = np.random.default_rng([seed, 17])
    parts = [
        simulate_market([s.params], days, rng, s.start - pd.Timedelta(days=days)).batch
        for s in scenarios
    ]
    tables = {
        name: pd.concat([getattr(p, name) for p in parts], ignore_index=True) for name in TABLES
    }
    return CanonicalBatch(freq="daily", **tables)


@dataclass
class FittedPipeline:
    """The estimates every pipeline policy prices with."""

    response: PriceResponseModel
    forecasts: dict[str, np.ndarray]  # product -> median units per horizon period at ref price
    features: dict[str, dict[str, float]]  # product -> latest features (response context)


def fit_pipeline(
    settings: Settings, scenarios: list[Scenario], seed: int, quick: bool = False
) -> FittedPipeline:
    """Fit the forecaster and the price response once, pooled over the scenarios' histories."""
    with tempfile.TemporaryDirectory(prefix="pricing-bench-") as scratch:
        home = settings.model_copy(update={"home": Path(scratch)})
        data = HomeData(home.data_dir)
        store_batch(data, scenario_histories(scenarios, seed), "bench:pipeline", replace=True)
        frame = training_frame(home)
        sales, rivals = data.read("sales"), data.read("competitor_prices")
    response = PriceResponseModel.fit(frame, seed=seed, members=2 if quick else 5, quick=quick)
    horizon = max(s.horizon for s in scenarios)
    forecaster = DemandForecaster().fit(sales, rivals, "daily", horizon, quick=quick, seed=seed)
    forecasts = {}
    for s in scenarios:
        plan = pd.DataFrame(
            {
                "product_id": s.product_id,
                "location_id": s.location_id,
                "date": pd.DatetimeIndex(s.dates),
                "price": s.initial_price,
                "promo": 0.0,
            }
        )
        mine = sales[sales["product_id"] == s.product_id]
        predicted = forecaster.predict(mine, rivals[rivals["product_id"] == s.product_id], plan)
        forecasts[s.product_id] = predicted.sort_values("date")["q50"].to_numpy()[: s.horizon]
    latest = frame.sort_values([*KEY, "event_timestamp"]).groupby(KEY).tail(1)
    features = {
        str(row["product_id"]): {k: float(row[k]) for k in BASE if k in row and pd.notna(row[k])}
        for _, row in latest.iterrows()
    }
    return FittedPipeline(response, forecasts, features)


def estimated_source(fitted: FittedPipeline) -> Callable[[Scenario], DemandSource]:
    """Demand from ``expected_units`` on the fitted forecast x fitted price response."""

    def factory(scenario: Scenario) -> DemandSource:
        base = fitted.forecasts[scenario.product_id]
        known = fitted.features.get(scenario.product_id, {})
        cache: dict[tuple, np.ndarray] = {}

        def source(state: PricingState, prices: np.ndarray) -> np.ndarray:
            grid = np.asarray(prices, dtype=float)
            key = (
                state.t,
                round(state.price_in_effect, 4),
                round(state.competitor_price, 4),
                grid.round(4).tobytes(),
            )
            if key not in cache:
                context = DemandContext(
                    when=state.when,
                    ref_price=float(scenario.initial_price),
                    base_units=float(max(base[min(state.t, len(base) - 1)], 0.0)),
                    competitor_price=state.competitor_price,
                    response=fitted.response,
                    features={**known, "last_price": state.price_in_effect},
                )
                cache[key] = expected_units(state.product_id, state.location_id, grid, context)
            return cache[key]

        return source

    return factory
