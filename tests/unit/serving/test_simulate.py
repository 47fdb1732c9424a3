"""The what-if stays honest far outside the observed prices: no figure there, and the reason.

P0001 of the in-memory world was observed between 4.59 and 6.99 (its reference price 6.99, its
forecast 40 units there); its response is trusted down to 4.59 * 0.9 / 1.1**2 = 3.41 and up to
6.99 * 1.1 * 1.1**2 = 9.30 (response confidence >= 0.25).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pricing.analytics.whatif import at_price, whatif_table
from pricing.models.demand_at_price import (
    MIN_TRUSTED_CONFIDENCE,
    DemandContext,
    untrusted_reason,
)
from pricing.models.elasticity import PriceResponseModel
from pricing.policy.guardrails import GuardrailPolicy
from pricing.serving.catalog import Catalog
from pricing.serving.engine import Engine
from pricing.serving.http_requests import Item
from pricing.serving.http_responses import SimulatedPoint, simulate_response
from tests.unit.models.test_price_prior import frame_with_constant_prices
from tests.unit.serving.conftest import AS_OF, DictSource, feature_rows, random_agent

KEY = ("P0001", "all")
LOW, HIGH = 4.59, 6.99  # P0001's observed price range
FIGURES = ("expected_units", "expected_revenue", "expected_profit")


def points(world, prices: list[float], product: str = "P0001") -> dict[float, dict]:
    out = world.engine.simulate(Item(product_id=product), prices, world.source)
    return {p["price"]: p for p in out["points"]}


def model_units(world, prices: list[float]) -> np.ndarray:
    """Units at ``prices`` straight from the model's own ratio: the figure before this change."""
    row = world.source.rows[KEY]
    context = DemandContext(
        AS_OF,
        row["forecast_ref_price"],
        row["forecast_units"],
        row["competitor_min_price"],
        world.model,
        features=row,
    )
    return row["forecast_units"] * world.model.ratio(*KEY, np.asarray(prices), context)


def test_the_world_is_the_one_the_known_answers_assume(world):
    info = world.model.series.loc[KEY]
    assert (info["min_price"], info["max_price"]) == (LOW, HIGH)
    assert world.source.rows[KEY]["forecast_ref_price"] == HIGH


def test_a_cent_and_a_hundred_times_the_top_price_give_no_figure_and_say_why(world):
    at = points(world, [0.01, 5.5, 100 * HIGH])
    for price in (0.01, 100 * HIGH):
        point = at[price]
        assert all(point[name] is None for name in FIGURES), point
        assert point["trusted"] is False and point["response_confidence"] == 0.0
        assert point["allowed"] is False and point["reason"]  # still says why it is not served
    assert at[0.01]["trust_reason"] == (
        "price 0.01 is 99.8% below the lowest observed price 4.59: the price response is "
        "not trusted there (response confidence 0.000 < 0.25)"
    )
    assert at[699.0]["trust_reason"].startswith(
        "price 699.00 is 9900.0% above the highest observed price 6.99: the price response "
        "is not trusted there"
    )
    assert at[5.5]["trusted"] is True and at[5.5]["trust_reason"] is None


def test_inside_the_observed_range_the_figures_are_unchanged(world):
    inside = [LOW, 5.5, HIGH, 7.5]
    alone = points(world, inside)
    mixed = points(world, [0.01, *inside, 1000.0])
    expected = model_units(world, inside)
    for price, units in zip(inside, expected, strict=True):
        assert alone[price] == mixed[price]  # far-off prices asked alongside change nothing
        assert alone[price]["trusted"] and alone[price]["response_confidence"] == 1.0
        assert alone[price]["expected_units"] == pytest.approx(units, rel=1e-6)
        assert alone[price]["expected_revenue"] == pytest.approx(price * units, rel=1e-6)
    assert alone[HIGH]["expected_units"] == 40.0  # the forecast, at its reference price


def test_a_moderate_extrapolation_keeps_its_figure_and_the_cut_is_at_the_threshold(world):
    at = points(world, [3.3, 3.5, 4.0, 9.0, 9.6])
    for price in (3.5, 4.0, 9.0):  # confidence 0.30, 0.79, 0.27
        assert at[price]["trusted"] and at[price]["expected_units"] > 0
        assert at[price]["response_confidence"] < 1.0  # extrapolated, and flagged as such
    assert at[4.0]["expected_units"] == pytest.approx(model_units(world, [4.0])[0], rel=1e-6)
    for price, side in ((3.3, "below the lowest"), (9.6, "above the highest")):
        assert at[price]["expected_units"] is None and side in at[price]["trust_reason"]


def test_trust_follows_the_confidence_and_the_figures_stay_monotone(world):
    prices = [round(float(x), 2) for x in np.geomspace(0.5, 80.0, 60)]
    at = points(world, prices)
    trusted = [at[x] for x in prices if at[x]["trusted"]]
    assert 0 < len(trusted) < len(prices)
    confidence = world.model.confidence(*KEY, np.asarray(prices))
    for x, c in zip(prices, confidence, strict=True):
        point = at[x]
        assert point["trusted"] == (c >= MIN_TRUSTED_CONFIDENCE)
        assert point["trusted"] == (point["trust_reason"] is None)
        assert point["trusted"] == all(point[name] is not None for name in FIGURES)
    units = [p["expected_units"] for p in trusted]
    assert all(b <= a for a, b in itertools.pairwise(units))
    assert min(p["price"] for p in trusted) > 3.41 and max(p["price"] for p in trusted) < 9.30


@pytest.mark.parametrize(
    ("price", "confidence", "low", "high", "expected"),
    [
        (5.0, 1.0, 4.0, 6.0, None),
        (2.0, MIN_TRUSTED_CONFIDENCE, 4.0, 6.0, None),  # at the threshold: still trusted
        (
            2.0,
            0.1,
            4.0,
            6.0,
            "price 2.00 is 50.0% below the lowest observed price 4.00: the price response "
            "is not trusted there (response confidence 0.100 < 0.25)",
        ),
        (
            12.0,
            0.01,
            4.0,
            6.0,
            "price 12.00 is 100.0% above the highest observed price 6.00: the price response "
            "is not trusted there (response confidence 0.010 < 0.25)",
        ),
        (
            50.0,
            0.0,
            5.0,
            5.0,
            "price 50.00 is 900.0% above the only observed price 5.00: the price response "
            "is not trusted there (response confidence 0.000 < 0.25)",
        ),
    ],
)
def test_untrusted_reason_known_answers(price, confidence, low, high, expected):
    assert untrusted_reason(price, confidence, low, high) == expected


def test_an_item_whose_price_never_varied_gets_no_figure_far_from_its_one_price():
    frame = frame_with_constant_prices(4, 160, {"P0001"})
    model = PriceResponseModel.fit(frame, seed=0, members=3, quick=True)
    ids = [f"P{i:04d}" for i in range(1, 5)]
    products = pd.DataFrame({"product_id": ids, "category": "c", "unit_cost": 1.0})
    engine = Engine(
        model, random_agent(), Catalog(products, model.series), GuardrailPolicy(), {}, lambda: AS_OF
    )
    source = DictSource(feature_rows(frame, AS_OF, model))
    price = source.rows[KEY]["last_price"]
    out = engine.simulate(Item(product_id="P0001"), [price, price * 1.2, price * 10], source)
    near, moderate, far = out["points"]
    assert near["trusted"] and moderate["trusted"]  # 20% away: confidence 0.27
    assert near["expected_units"] > moderate["expected_units"] > 0
    assert far["expected_units"] is None and not far["trusted"]
    assert f"900.0% above the only observed price {price:.2f}" in far["trust_reason"]


def test_the_http_contract_carries_and_documents_the_new_fields(world):
    answer = world.engine.simulate(Item(product_id="P0001"), [0.01, 5.5], world.source)
    dumped = simulate_response(answer).model_dump(mode="json")["points"]
    assert [p["trusted"] for p in dumped] == [False, True]
    assert dumped[0]["expected_units"] is None and "not trusted" in dumped[0]["trust_reason"]
    old_client_point = {"price": 5.0, "expected_units": 1.0, "expected_revenue": 5.0}
    legacy = SimulatedPoint.model_validate(
        {**old_client_point, "expected_profit": None, "allowed": True, "response_confidence": 1}
    )
    assert legacy.trusted is True and legacy.trust_reason is None  # added, nothing renamed
    schema = SimulatedPoint.model_json_schema()["properties"]
    assert f">= {MIN_TRUSTED_CONFIDENCE}" in schema["trusted"]["description"]
    assert schema["trust_reason"]["description"]


def test_the_dashboard_table_copes_with_points_without_figures(world):
    answer = world.engine.simulate(Item(product_id="P0001"), [0.01, 5.5, 699.0], world.source)
    table = whatif_table(answer)
    assert table["expected_units"].isna().tolist() == [True, False, True]
    assert np.isnan(at_price(table, 0.01)["expected_revenue"])
    assert at_price(table, 5.5)["expected_units"] > 0
