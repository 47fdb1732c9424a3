"""The true demand model and the product parameters it reads."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pricing.market.demand import is_holiday, price_factor, seasonal_factor, true_expected_units
from pricing.market.params import (
    CATEGORIES,
    WEEKLY_COLUMNS,
    ProductParams,
    charm_price,
    params_frame,
    params_from_frame,
    sample_products,
)

DATES = pd.date_range("2024-01-01", periods=400, freq="D", tz="UTC")


@pytest.fixture(scope="module")
def products() -> list[ProductParams]:
    return sample_products(12, np.random.default_rng(0))


def test_sample_products_ranges(products: list[ProductParams]) -> None:
    assert [p.product_id for p in products[:3]] == ["P0001", "P0002", "P0003"]
    for p in products:
        assert p.category in CATEGORIES
        assert -3.5 <= p.elasticity <= -1.2
        assert 0.2 <= p.cross_elasticity <= 1.0
        assert 0 < p.unit_cost < p.base_price
        assert np.isclose(np.mean(p.weekly), 1.0)
        assert p.dispersion > 0
        assert p.base_demand > 0
        assert abs(p.competitor_ref_price / p.base_price - 1.0) < 0.1


def test_sample_products_start_index_and_seed() -> None:
    first = sample_products(3, np.random.default_rng(5), start_index=41)
    assert [p.product_id for p in first] == ["P0042", "P0043", "P0044"]
    assert first == sample_products(3, np.random.default_rng(5), start_index=41)
    assert first != sample_products(3, np.random.default_rng(6), start_index=41)


def test_params_frame_round_trips(products: list[ProductParams]) -> None:
    frame = params_frame(products)
    assert len(frame) == len(products)
    assert frame["product_id"].is_unique
    assert set(WEEKLY_COLUMNS) <= set(frame.columns)
    assert "weekly" not in frame
    assert params_from_frame(frame) == products


def test_params_are_frozen_and_validated(products: list[ProductParams]) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        products[0].elasticity = -1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="elasticity"):
        dataclasses.replace(products[0], elasticity=0.5)
    with pytest.raises(ValueError, match="weekly"):
        dataclasses.replace(products[0], weekly=(1.0,) * 6)


def test_charm_price_ends_in_nine() -> None:
    np.testing.assert_allclose(
        charm_price(np.array([2.37, 4.96, 10.0, 0.02])), [2.39, 4.99, 9.99, 0.09]
    )


def test_expected_units_decrease_in_price_increase_in_competitor(
    products: list[ProductParams],
) -> None:
    ladder = np.linspace(0.5, 2.0, 25)[:, None]
    for p in products:
        by_price = true_expected_units(p, ladder * p.ref_price, p.competitor_ref_price, DATES)
        by_competitor = true_expected_units(p, p.ref_price, ladder * p.competitor_ref_price, DATES)
        assert by_price.shape == (25, len(DATES))
        assert np.all(np.diff(by_price, axis=0) < 0)
        assert np.all(np.diff(by_competitor, axis=0) > 0)
        assert np.all(by_price > 0)


def test_expected_units_is_seasonal_times_price_terms(products: list[ProductParams]) -> None:
    rng = np.random.default_rng(1)
    for p in products:
        price = p.ref_price * rng.uniform(0.6, 1.4, len(DATES))
        competitor = p.competitor_ref_price * rng.uniform(0.7, 1.2, len(DATES))
        promo = rng.integers(0, 2, len(DATES)).astype(float)
        expected = true_expected_units(p, price, competitor, DATES, promo)
        manual = (
            seasonal_factor(p, DATES)
            * (price / p.ref_price) ** p.elasticity
            * (competitor / p.competitor_ref_price) ** p.cross_elasticity
            * (1.0 + p.promo_lift * promo)
        )
        np.testing.assert_allclose(expected, manual, rtol=1e-12)
        np.testing.assert_allclose(
            expected, seasonal_factor(p, DATES) * price_factor(p, price, competitor, promo)
        )


def test_seasonal_factor_matches_the_formula(products: list[ProductParams]) -> None:
    p = products[0]
    day = pd.Timestamp("2024-07-04", tz="UTC")  # a Thursday and a US holiday
    years = (day - pd.Timestamp("2020-01-01", tz="UTC")).days / 365.25
    yearly = 1.0 + p.yearly_amplitude * np.cos(
        2 * np.pi * (day.dayofyear / 365.25 - p.yearly_phase)
    )
    manual = p.base_demand * p.weekly[3] * yearly * (1 + p.trend) ** years * p.holiday_lift
    assert is_holiday(day)
    assert not is_holiday(pd.Timestamp("2024-07-05"))
    assert np.isclose(seasonal_factor(p, day), manual)
    at_ref = true_expected_units(p, p.ref_price, p.competitor_ref_price, day)
    assert np.isclose(at_ref, manual)


def test_same_date_same_demand_whatever_the_query(products: list[ProductParams]) -> None:
    p = products[1]
    full = seasonal_factor(p, DATES)
    assert np.isclose(seasonal_factor(p, DATES[100]), full[100])
    assert np.isclose(seasonal_factor(p, "2024-04-10"), full[100])
    assert np.isclose(seasonal_factor(p, pd.Timestamp("2024-04-10 15:30")), full[100])
    np.testing.assert_allclose(seasonal_factor(p, DATES[50:60]), full[50:60])
    assert np.ndim(true_expected_units(p, 1.0, 1.0, DATES[0])) == 0


def test_weekly_and_holiday_effects_show_in_demand(products: list[ProductParams]) -> None:
    p = dataclasses.replace(products[2], yearly_amplitude=0.0, trend=0.0)
    monday, tuesday = pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-05")
    ratio = seasonal_factor(p, tuesday) / seasonal_factor(p, monday)
    assert np.isclose(ratio, p.weekly[1] / p.weekly[0])
    christmas = seasonal_factor(p, "2024-12-25") / seasonal_factor(p, "2024-12-18")
    assert np.isclose(christmas, p.holiday_lift)
