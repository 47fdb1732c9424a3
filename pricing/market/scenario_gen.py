"""Seeded evaluation scenarios where pricing matters: binding stock, moving demand and rivals.

Products come from ids training never saw (P100001, ...). Each scenario's demand moves within
the horizon (a local surge or slump on top of the calendar), the competitor walks and sometimes
starts a price war, stock binds and a delivery sometimes arrives mid-horizon, so no single
price is optimal throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.market.demand import true_expected_units
from pricing.market.generate import price_bounds
from pricing.market.params import sample_products
from pricing.market.scenarios import HORIZON, Reward, Scenario
from pricing.policy.guardrails import GuardrailPolicy, ProductLimits

#: Observed price range of a scenario product, as multiples of its base price.
OBSERVED_BAND = (0.70, 1.15)
#: Stock available over the horizon as a share of true expected demand at the reference price.
INVENTORY_SHARE = (0.45, 0.9)
#: Competitor: daily log-price random-walk sd; chance, depth and length of a price war.
COMP_SD, WAR_CHANCE, WAR_CUT, WAR_DAYS = 0.02, 0.35, (0.15, 0.30), (5, 15)
#: Demand events: chance, size and length of a surge and of a slump.
SURGE = (0.7, (1.8, 3.0), (3, 8))
SLUMP = (0.5, (0.4, 0.65), (5, 10))
#: Chance of a mid-horizon delivery; stock before it is scarce, after it ample (as shares of
#: the true demand at the reference price in each stretch): the gap is what pricing must bridge.
DELIVERY_CHANCE, BEFORE_SHARE, AFTER_SHARE = 0.8, (0.35, 0.8), (0.7, 1.6)
#: Scenario start dates are drawn from this year so holidays sometimes fall in the horizon.
START_YEAR = 2025
#: Ids of evaluation products begin here, far from anything a training market uses.
UNSEEN_START_INDEX = 100000


def _stock_plan(units: np.ndarray, rng: np.random.Generator) -> tuple[int, np.ndarray | None]:
    """Starting stock and deliveries, as shares of the reference demand they must cover."""
    horizon = len(units)
    if rng.random() >= DELIVERY_CHANCE:
        return round(rng.uniform(*INVENTORY_SHARE) * float(units.sum())), None
    day = int(rng.integers(horizon // 3, 2 * horizon // 3 + 1))
    deliveries = np.zeros(horizon, dtype=np.int64)
    deliveries[day] = round(rng.uniform(*AFTER_SHARE) * float(units[day:].sum()))
    return round(rng.uniform(*BEFORE_SHARE) * float(units[:day].sum())), deliveries


def _demand_shift(horizon: int, rng: np.random.Generator) -> np.ndarray:
    """A per-period multiplier: sometimes a surge (an event), sometimes a slump."""
    shift = np.ones(horizon)
    for chance, size, days in (SURGE, SLUMP):
        if rng.random() < chance:
            length = int(rng.integers(days[0], days[1] + 1))
            first = int(rng.integers(0, max(horizon - length, 1)))
            shift[first : first + length] *= rng.uniform(*size)
    return shift


def _competitor_path(reference: float, horizon: int, rng: np.random.Generator) -> np.ndarray:
    """A log random walk around the competitor's reference, sometimes with a price war."""
    level = rng.normal(0.0, 0.03) + np.cumsum(rng.normal(0.0, COMP_SD, horizon))
    path = reference * np.exp(level)
    if rng.random() < WAR_CHANCE:
        first = int(rng.integers(1, max(horizon - WAR_DAYS[0], 2)))
        length = int(rng.integers(WAR_DAYS[0], WAR_DAYS[1] + 1))
        path[first : first + length] *= 1.0 - rng.uniform(*WAR_CUT)
    return np.round(path, 2)


def make_scenarios(
    n: int,
    seed: int,
    horizon: int = HORIZON,
    reward: Reward = "revenue",
    guardrails: GuardrailPolicy | None = None,
) -> list[Scenario]:
    """``n`` seeded scenarios on products training never saw; the same seed, the same list."""
    rng = np.random.default_rng(seed)
    policy = guardrails or GuardrailPolicy()
    products = sample_products(n, rng, start_index=UNSEEN_START_INDEX)
    low, high = price_bounds(products)
    out = []
    for i, params in enumerate(products):
        day = int(rng.integers(0, 365))
        start = pd.Timestamp(f"{START_YEAR}-01-01", tz="UTC") + pd.Timedelta(days=day)
        competitor = _competitor_path(params.competitor_ref_price, horizon, rng)
        dates = pd.date_range(start, periods=horizon, freq="D")
        shift = _demand_shift(horizon, rng)
        units = shift * true_expected_units(params, params.ref_price, competitor, dates)
        stock, deliveries = _stock_plan(np.asarray(units, dtype=float), rng)
        limits = ProductLimits(
            unit_cost=params.unit_cost,
            observed_min=round(params.base_price * OBSERVED_BAND[0], 2),
            observed_max=round(params.base_price * OBSERVED_BAND[1], 2),
            min_price=float(low[i]),
            max_price=float(high[i]),
        )
        out.append(
            Scenario(
                params=params,
                start=start,
                initial_inventory=stock,
                competitor_prices=competitor,
                limits=limits,
                initial_price=params.base_price,
                horizon=horizon,
                replenishment=deliveries,
                demand_shift=shift,
                reward=reward,
                guardrails=policy.for_product(params.product_id, params.category),
            )
        )
    return out
