"""Simulated market histories: contract, determinism, inventory and identifiable elasticity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.data.schemas import TABLE_KEYS, TABLES
from pricing.market.demand import is_holiday, seasonal_factor
from pricing.market.generate import GeneratedMarket, generate_market
from pricing.market.params import params_from_frame

ONE_DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def market() -> GeneratedMarket:
    return generate_market(30, 730, seed=7)


def _frames(market: GeneratedMarket) -> dict[str, pd.DataFrame]:
    return {**market.batch.tables(), "truth": market.truth, "seed_format": market.seed_format}


def _ranks(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values)).astype(float)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def test_same_seed_same_market_other_seed_differs() -> None:
    first, again, other = (generate_market(5, 90, seed) for seed in (3, 3, 4))
    for name, frame in _frames(first).items():
        pd.testing.assert_frame_equal(frame, _frames(again)[name])
    assert first.params == again.params
    assert not first.batch.sales.equals(other.batch.sales)
    assert not first.truth.equals(other.truth)


def test_tables_are_canonical_with_unique_keys(market: GeneratedMarket) -> None:
    assert market.batch.freq == "daily"
    for name, frame in market.batch.tables().items():
        assert list(frame.columns) == list(TABLES[name]), name
        assert {c: str(t) for c, t in frame.dtypes.items()} == TABLES[name], name
        assert not frame.duplicated(TABLE_KEYS[name]).any(), name
        assert len(frame) > 0
    assert len(market.batch.sales) == 30 * 730
    assert len(market.batch.inventory) == 30 * 730


def test_timestamps(market: GeneratedMarket) -> None:
    for name in ("sales", "inventory", "competitor_prices"):
        frame = market.batch.tables()[name]
        assert (frame["date"] == frame["date"].dt.normalize()).all()
        assert (frame["event_timestamp"] == frame["date"] + ONE_DAY).all()
        assert (frame["ingested_timestamp"] == frame["event_timestamp"].max()).all()
    sales = market.batch.sales
    assert sales["date"].min() == pd.Timestamp("2024-01-01", tz="UTC")
    assert (sales["location_id"] == "all").all()
    assert sales["observed"].all()


def test_products_table(market: GeneratedMarket) -> None:
    products = market.batch.products
    assert list(products["product_id"]) == [p.product_id for p in market.params]
    assert (products["pack_size"] == 1.0).all()
    assert (products["min_price"] >= products["unit_cost"] * 1.05 - 0.005).all()
    assert (products["min_price"] < products["base_price"]).all()
    assert (products["max_price"] > products["base_price"]).all()


def test_prices_units_and_revenue(market: GeneratedMarket) -> None:
    sales, products = market.batch.sales, market.batch.products
    bounds = sales.merge(products, on="product_id", suffixes=("", "_product"))
    assert (sales["price"] > 0).all()
    assert (
        (bounds["price"] >= bounds["min_price"]) & (bounds["price"] <= bounds["max_price"])
    ).all()
    assert np.allclose(sales["price"], sales["price"].round(2))
    assert (sales["price"].round(2) * 100 % 10 == 9).mean() > 0.5  # mostly .x9 endings
    units = sales["units_sold"]
    assert (units >= 0).all()
    assert (units == units.round()).all()
    np.testing.assert_allclose(sales["revenue"], (units * sales["price"]).round(2))
    assert set(sales["promo"].unique()) == {0.0, 1.0}
    promo = sales[sales["promo"] == 1].merge(products, on="product_id", suffixes=("", "_product"))
    assert (promo["price"] < promo["base_price"] * 1.2).all()
    assert (market.batch.competitor_prices["price"] > 0).all()


def test_our_prices_move_for_every_product(market: GeneratedMarket) -> None:
    regular = market.batch.sales.query("promo == 0")
    assert (regular.groupby("product_id")["price"].nunique() >= 3).all()


def test_competitors(market: GeneratedMarket) -> None:
    competitors = market.batch.competitor_prices
    per_product = competitors.groupby("product_id")["competitor_id"].unique()
    assert all(ids[0] == "C1" and len(ids) in (1, 2) for ids in per_product)
    assert (per_product.map(len) == 2).any()
    assert set(competitors["competitor_type"]) == {"competitor"}
    c1 = competitors.query("competitor_id == 'C1'").merge(market.truth, on="product_id")
    ratio = c1["price"] / c1["competitor_ref_price"]
    assert ratio.median() == pytest.approx(1.0, abs=0.05)
    assert (ratio < 0.85).any()  # a price war happened somewhere


def test_inventory_censors_sales(market: GeneratedMarket) -> None:
    sales, inventory = market.batch.sales, market.batch.inventory
    merged = sales.merge(inventory, on=["product_id", "location_id", "date"])
    assert (merged.loc[merged["stockout"], "on_hand"] == 0).all()
    assert (merged["on_hand"] >= 0).all()
    assert (merged["inbound"] >= 0).all()
    previous = merged.groupby("product_id")["on_hand"].shift()
    flow = previous + merged["inbound"] - merged["units_sold"]
    np.testing.assert_allclose(flow.dropna(), merged.loc[flow.notna(), "on_hand"])
    assert 0.01 <= sales["stockout"].mean() <= 0.15
    assert (merged.groupby("product_id")["inbound"].apply(lambda s: (s > 0).sum()) >= 10).all()


def test_seed_format_view(market: GeneratedMarket) -> None:
    seed = market.seed_format
    columns = ["Product_ID", "Date", "Sales", "Price", "Competitor_Price", "Inventory"]
    assert list(seed.columns) == columns
    assert seed["Date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    sales = market.batch.sales
    np.testing.assert_array_equal(seed["Sales"], sales["units_sold"])
    np.testing.assert_array_equal(seed["Price"], sales["price"])
    np.testing.assert_array_equal(seed["Inventory"], market.batch.inventory["on_hand"])
    c1 = market.batch.competitor_prices.query("competitor_id == 'C1'")
    np.testing.assert_array_equal(seed["Competitor_Price"], c1["price"])


def test_truth_round_trips(market: GeneratedMarket) -> None:
    assert params_from_frame(market.truth) == market.params


def test_location_and_start_pass_through() -> None:
    small = generate_market(2, 10, seed=1, start="2023-06-15", location_id="store_9")
    assert (small.batch.sales["location_id"] == "store_9").all()
    assert small.batch.sales["date"].min() == pd.Timestamp("2023-06-15", tz="UTC")
    assert small.seed_format["Date"].iloc[0] == "2023-06-15"


def _fit_elasticities(market: GeneratedMarket, offset: bool) -> np.ndarray:
    """Per product OLS of log units on log prices, on uncensored non-promo days.

    With ``offset`` the true seasonal factor is divided out; without it, calendar regressors
    (weekday dummies, linear time, two yearly harmonics, holiday) stand in for it.
    Returns (own, cross) estimates per product.
    """
    sales = market.batch.sales
    c1 = market.batch.competitor_prices.query("competitor_id == 'C1'")
    estimates = []
    for p in market.params:
        rows = sales[sales["product_id"] == p.product_id]
        dates = pd.DatetimeIndex(rows["date"])
        units = rows["units_sold"].to_numpy()
        keep = ~rows["stockout"].to_numpy() & (rows["promo"].to_numpy() == 0) & (units > 0)
        prices = [
            np.log(rows["price"].to_numpy()),
            np.log(c1.loc[c1["product_id"] == p.product_id, "price"].to_numpy()),
        ]
        target = np.log(np.maximum(units, 1.0))
        if offset:
            target = target - np.log(seasonal_factor(p, dates))
            calendar = [np.ones(len(dates))]
        else:
            angle = 2 * np.pi * dates.dayofyear.to_numpy() / 365.25
            harmonics = [f(k * angle) for k in (1, 2) for f in (np.sin, np.cos)]
            time = np.arange(len(dates)) / 365.25
            calendar = [*np.eye(7)[dates.dayofweek].T, time, *harmonics, is_holiday(dates)]
        design = np.column_stack([*prices, *calendar])[keep]
        coef = np.linalg.lstsq(design, target[keep], rcond=None)[0]
        estimates.append(coef[:2])
    return np.array(estimates)


@pytest.mark.parametrize("offset", [False, True], ids=["calendar", "true_seasonal"])
def test_price_response_in_the_data_matches_the_truth(
    market: GeneratedMarket, offset: bool
) -> None:
    estimates = _fit_elasticities(market, offset)
    own = np.array([p.elasticity for p in market.params])
    cross = np.array([p.cross_elasticity for p in market.params])
    assert abs(np.median(estimates[:, 0]) - np.median(own)) < 0.35
    assert _spearman(estimates[:, 0], own) > 0.6
    assert np.median(estimates[:, 1]) > 0
    assert _spearman(estimates[:, 1], cross) > 0.5
