"""Simulate a seeded market history from the true demand model.

Our prices move (promotions, markdowns, occasional permanent changes) so that elasticity is
identifiable; competitor prices mean-revert with occasional price wars; demand is drawn around
``true_expected_units`` and censored by an (s, S) inventory with lead time. Pure: returns frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pricing.data.schemas import CanonicalBatch, conform
from pricing.market.demand import true_expected_units
from pricing.market.drift import MarketShift
from pricing.market.params import ProductParams, charm_price, params_frame, sample_products

#: Daily chance that a product not on a deal starts a promotion / a markdown.
PROMO_RATE, MARKDOWN_RATE = 1 / 30, 1 / 70
#: Daily chance of a permanent base-price change, and its band around the original base price.
REPRICE_RATE, BASE_BAND = 1 / 200, (0.85, 1.2)
#: Competitor log-price AR(1) coefficient and innovation sd; daily chance of a price war.
COMP_PERSISTENCE, COMP_SD, WAR_RATE = 0.9, 0.02, 1 / 150
SECOND_COMPETITOR_SHARE = 0.4


@dataclass
class GeneratedMarket:
    """A simulated history: canonical tables, the seed-format view and the hidden truth."""

    batch: CanonicalBatch
    truth: pd.DataFrame
    seed_format: pd.DataFrame
    params: list[ProductParams]


@dataclass
class _Stock:
    sold: np.ndarray
    on_hand: np.ndarray
    inbound: np.ndarray
    stockout: np.ndarray


def price_bounds(params: list[ProductParams]) -> tuple[np.ndarray, np.ndarray]:
    """Allowed (min, max) price per product: above cost with margin, within a band of base."""
    cost = np.array([p.unit_cost for p in params])
    base = np.array([p.base_price for p in params])
    return np.round(np.maximum(cost * 1.05, 0.6 * base), 2), np.round(1.6 * base, 2)


def _own_prices(
    params: list[ProductParams], days: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shelf prices and promo flags, (n, days): deals on a slowly re-priced base."""
    n = len(params)
    original = np.array([p.base_price for p in params])
    low, high = price_bounds(params)
    band_low, band_high = BASE_BAND[0] * original, BASE_BAND[1] * original
    base, left, cut, on_promo = original.copy(), np.zeros(n, int), np.zeros(n), np.zeros(n)
    price, promo = np.empty((n, days)), np.empty((n, days))
    for t in range(days):
        reprice = rng.random(n) < REPRICE_RATE
        moved = charm_price(np.clip(base * rng.uniform(0.92, 1.10, n), band_low, band_high))
        base = np.where(reprice, moved, base)
        free, draw = left == 0, rng.random(n)
        start_promo = free & (draw < PROMO_RATE)
        start_markdown = free & ~start_promo & (draw < PROMO_RATE + MARKDOWN_RATE)
        left = np.where(start_promo, rng.integers(3, 8, n), left)
        left = np.where(start_markdown, rng.integers(7, 22, n), left)
        cut = np.where(start_promo, rng.uniform(0.10, 0.35, n), cut)
        cut = np.where(start_markdown, rng.uniform(0.10, 0.25, n), cut)
        on_promo = np.where(start_promo, 1.0, np.where(start_markdown, 0.0, on_promo))
        active = left > 0
        shelf = np.where(active, charm_price(base * (1.0 - cut)), base)
        price[:, t] = np.clip(shelf, low, high)
        promo[:, t] = np.where(active, on_promo, 0.0)
        left = np.maximum(left - 1, 0)
    return price, promo


def _competitor_prices(
    params: list[ProductParams], days: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Prices (n, 2, days) of competitors C1 and C2, and which products have a C2.

    Log prices mean-revert around a reference near our base price; a price war cuts 15-30% for
    1-3 weeks. Demand responds to C1 only (the primary competitor).
    """
    n = len(params)
    ref = np.array([p.competitor_ref_price for p in params])
    refs = np.stack([ref, np.round(ref * rng.uniform(0.9, 1.1, n), 2)], axis=1)
    has_second = rng.random(n) < SECOND_COMPETITOR_SHARE
    stationary_sd = COMP_SD / np.sqrt(1.0 - COMP_PERSISTENCE**2)
    level = rng.normal(0.0, stationary_sd, (n, 2))
    war_left, war_cut = np.zeros((n, 2), int), np.zeros((n, 2))
    out = np.empty((n, 2, days))
    for t in range(days):
        level = COMP_PERSISTENCE * level + rng.normal(0.0, COMP_SD, (n, 2))
        start = (war_left == 0) & (rng.random((n, 2)) < WAR_RATE)
        war_left = np.where(start, rng.integers(7, 22, (n, 2)), war_left)
        war_cut = np.where(start, rng.uniform(0.15, 0.30, (n, 2)), war_cut)
        discount = np.where(war_left > 0, 1.0 - war_cut, 1.0)
        out[:, :, t] = np.round(refs * np.exp(level) * discount, 2)
        war_left = np.maximum(war_left - 1, 0)
    return out, has_second


def _window_sums(expected: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Sum of ``expected[i, t + start_i : t + start_i + length_i]`` for every day t."""
    n, days = expected.shape
    pad = int(start.max() + length.max()) + 1
    tail = expected[:, -28:].mean(axis=1, keepdims=True)
    padded = np.concatenate([expected, np.repeat(tail, pad, axis=1)], axis=1)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(padded, axis=1)], axis=1)
    t = np.arange(days)[None, :]
    lo, hi = t + start[:, None], t + (start + length)[:, None]
    return np.take_along_axis(cum, hi, axis=1) - np.take_along_axis(cum, lo, axis=1)


def _inventory(expected: np.ndarray, demand: np.ndarray, rng: np.random.Generator) -> _Stock:
    """Censor demand by stock under an (s, S) policy with lead time, driven by a true forecast.

    At the end of each day, if stock on hand plus on order is at or below s (the forecast
    demand over the lead time times a safety factor), order up to S (s plus a cycle's demand);
    the order arrives at the start of day t + lead.
    """
    n, days = int(demand.shape[0]), int(demand.shape[1])
    lead, cycle = rng.integers(2, 8, n), rng.integers(5, 15, n)
    safety = rng.uniform(0.75, 1.25, n)
    reorder = safety[:, None] * _window_sums(expected, np.ones(n, int), lead)
    order_up_to = reorder + _window_sums(expected, lead + 1, cycle)
    on_hand = np.floor(rng.uniform(reorder[:, 0], order_up_to[:, 0]))
    on_order, pipeline = np.zeros(n), np.zeros((n, days + int(lead.max()) + 1))
    rows = np.arange(n)
    zeros = np.zeros((n, days))
    stock = _Stock(zeros.copy(), zeros.copy(), zeros.copy(), np.zeros((n, days), bool))
    for t in range(days):
        arriving = pipeline[:, t]
        available = on_hand + arriving
        sold = np.minimum(demand[:, t], available)
        on_hand, on_order = available - sold, on_order - arriving
        position = on_hand + on_order
        quantity = np.where(position <= reorder[:, t], np.ceil(order_up_to[:, t] - position), 0.0)
        pipeline[rows, t + lead] += quantity
        on_order = on_order + quantity
        stock.sold[:, t], stock.on_hand[:, t], stock.inbound[:, t] = sold, on_hand, arriving
        stock.stockout[:, t] = demand[:, t] > available
    return stock


def _tables(
    params: list[ProductParams],
    truth: pd.DataFrame,
    dates: pd.DatetimeIndex,
    location_id: str,
    price: np.ndarray,
    promo: np.ndarray,
    competitor: np.ndarray,
    has_second: np.ndarray,
    stock: _Stock,
) -> tuple[CanonicalBatch, pd.DataFrame]:
    """Canonical tables and the seed-format view of one simulated history."""
    n, days = price.shape
    ids = np.array([p.product_id for p in params], dtype=object)
    low, high = price_bounds(params)
    products = truth.assign(pack_size=1.0, min_price=low, max_price=high)
    day_values = np.tile(dates.tz_localize(None).to_numpy(), n)
    keys = {
        "product_id": pd.array(np.repeat(ids, days), dtype="string"),
        "location_id": location_id,
        "date": pd.DatetimeIndex(day_values).tz_localize("UTC"),
        "event_timestamp": pd.DatetimeIndex(day_values + np.timedelta64(1, "D")).tz_localize("UTC"),
        "ingested_timestamp": dates[-1] + pd.Timedelta(days=1),
    }
    units, shelf = stock.sold.ravel(), price.ravel()
    sales = pd.DataFrame(
        {
            **keys,
            "observed": True,
            "units_sold": units,
            "price": shelf,
            "revenue": np.round(units * shelf, 2),
            "promo": promo.ravel(),
            "stockout": stock.stockout.ravel(),
        }
    )
    inventory = pd.DataFrame(
        {**keys, "on_hand": stock.on_hand.ravel(), "inbound": stock.inbound.ravel()}
    )
    frames = []
    for j, competitor_id in enumerate(("C1", "C2")):
        keep = np.repeat(has_second if j else np.ones(n, bool), days)
        frame = pd.DataFrame({**keys, "price": competitor[:, j, :].ravel()})[keep]
        frames.append(frame.assign(competitor_id=competitor_id, competitor_type="competitor"))
    competitors = pd.concat(frames).sort_values(["product_id", "competitor_id", "date"])
    batch = CanonicalBatch(
        freq="D",
        products=conform(products, "products"),
        sales=conform(sales, "sales"),
        inventory=conform(inventory, "inventory"),
        competitor_prices=conform(competitors, "competitor_prices"),
    )
    seed_format = pd.DataFrame(
        {
            "Product_ID": keys["product_id"],
            "Date": pd.array(np.tile(dates.strftime("%Y-%m-%d").to_numpy(), n), dtype="string"),
            "Sales": units.astype("int64"),
            "Price": shelf,
            "Competitor_Price": competitor[:, 0, :].ravel(),
            "Inventory": stock.on_hand.ravel().astype("int64"),
        }
    )
    return batch, seed_format


def generate_market(
    n_products: int,
    days: int,
    seed: int,
    start: str = "2024-01-01",
    location_id: str = "all",
    shift: MarketShift | None = None,
) -> GeneratedMarket:
    """Simulate ``days`` daily periods of ``n_products`` products; the same seed, the same market.

    Demand responds to our shelf price, the promo flag and competitor C1's price through
    ``true_expected_units``; sales are the negative-binomial demand draw censored by stock.
    A ``shift`` changes the market from its start day on (same products, our prices and the
    rivals' own moves as without it).
    """
    if n_products < 1 or days < 1:
        raise ValueError("n_products and days must be positive")
    rng = np.random.default_rng(seed)
    params = sample_products(n_products, rng)
    return simulate_market(params, days, rng, start, location_id, shift)


def simulate_market(
    params: list[ProductParams],
    days: int,
    rng: np.random.Generator,
    start: str | pd.Timestamp = "2024-01-01",
    location_id: str = "all",
    shift: MarketShift | None = None,
) -> GeneratedMarket:
    """The history of GIVEN products (e.g. a benchmark scenario's, before its horizon); the
    truth returned is the params before any ``shift``."""
    first = pd.Timestamp(start)
    first = first.tz_localize("UTC") if first.tzinfo is None else first.tz_convert("UTC")
    dates = pd.date_range(first.normalize(), periods=days, freq="D")
    price, promo = _own_prices(params, days, rng)
    competitor, has_second = _competitor_prices(params, days, rng)
    if shift is not None:
        competitor = shift.competitors(competitor)
    expected = np.stack(
        [
            true_expected_units(p, price[i], competitor[i, 0], dates, promo[i])
            for i, p in enumerate(params)
        ]
    )
    if shift is not None and shift.start < days:
        after = slice(shift.start, days)
        expected[:, after] = np.stack(
            [
                true_expected_units(
                    shift.demand_params(p),
                    price[i, after],
                    competitor[i, 0, after],
                    dates[after],
                    promo[i, after],
                )
                for i, p in enumerate(params)
            ]
        )
    size = np.array([p.dispersion for p in params])[:, None]
    demand = rng.poisson(expected * rng.gamma(size, 1.0 / size, expected.shape)).astype(float)
    stock = _inventory(expected, demand, rng)
    truth = params_frame(params)
    batch, seed_format = _tables(
        params, truth, dates, location_id, price, promo, competitor, has_second, stock
    )
    return GeneratedMarket(batch=batch, truth=truth, seed_format=seed_format, params=params)
