"""Series whose prices never varied: the price response borrows the pooled prior and says so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing.data.schemas import KEY
from pricing.features.calendar import calendar_features
from pricing.features.engine import PandasEngine
from pricing.market.generate import generate_market
from pricing.models.demand_at_price import DemandContext
from pricing.models.elasticity import PriceResponseModel
from pricing.models.elasticity_design import DEFAULT_PRIOR, MIN_PRIOR_SD, PricePrior
from tests.unit.models.test_elasticity import LABELS


def frame_with_constant_prices(products: int, days: int, constant: set[str]) -> pd.DataFrame:
    """A snapshot-like frame of a generated market where ``constant`` products always sold at
    their median price against a constant rival price (features rebuilt from those prices)."""
    batch = generate_market(products, days, seed=11).batch
    sales, rivals = batch.sales.copy(), batch.competitor_prices.copy()
    for table in (sales, rivals):
        fixed = table["product_id"].isin(constant)
        median = table.groupby("product_id")["price"].transform("median")
        table.loc[fixed, "price"] = median[fixed]
    tables = {"sales": sales, "inventory": batch.inventory, "competitor_prices": rivals}
    rows = sales[[*KEY, "date", *LABELS]].rename(columns={"date": "event_timestamp"})
    for view in PandasEngine().build(tables, "daily").values():
        rows = rows.merge(
            view.drop(columns="created_timestamp"), on=[*KEY, "event_timestamp"], how="left"
        )
    return pd.concat([rows, calendar_features(rows["event_timestamp"], "daily")], axis=1)


def context(model: PriceResponseModel, product: str) -> DemandContext:
    ref = float(model.series.loc[(product, "all"), "ref_price"])
    return DemandContext(pd.Timestamp("2024-01-01", tz="UTC"), ref, 10.0, np.nan, model)


@pytest.fixture(scope="module")
def mixed() -> PriceResponseModel:
    """Six products; P0001 never changed its price."""
    return PriceResponseModel.fit(frame_with_constant_prices(6, 200, {"P0001"}), members=5)


def test_a_constant_price_series_takes_the_pooled_prior_and_is_flagged(mixed) -> None:
    frame = frame_with_constant_prices(6, 200, {"P0001"})
    table = mixed.elasticities(frame).set_index("product_id")
    assert table.loc["P0001", "source"] == "pooled_prior"
    assert (table.drop(index="P0001")["source"] == "fitted").all()
    assert mixed.prior is not None and mixed.prior.source == "pooled_prior"
    assert mixed.prior.sd >= MIN_PRIOR_SD
    # its elasticity is the prior's, with the prior's spread: never [0, 0]
    assert table.loc["P0001", "elasticity"] == pytest.approx(mixed.prior.mean, abs=0.15)
    assert table.loc["P0001", "upper"] - table.loc["P0001", "lower"] > MIN_PRIOR_SD
    assert table.loc["P0001", "upper"] <= 0.0


def test_the_prior_response_is_not_flat_far_from_the_one_price(mixed) -> None:
    ctx = context(mixed, "P0001")
    prices = ctx.ref_price * np.array([1.0, 2.0, 10.0])
    ratio = mixed.ratio("P0001", "all", prices, ctx)
    assert ratio[0] == pytest.approx(1.0)
    assert ratio[0] > ratio[1] > ratio[2] > 0.0


def test_trust_in_a_prior_only_series_halves_per_ten_percent_from_its_price(mixed) -> None:
    ref = float(mixed.series.loc[("P0001", "all"), "ref_price"])
    trust = mixed.confidence("P0001", "all", np.array([ref, ref * 1.1, ref * 1.21, ref / 1.1]))
    np.testing.assert_allclose(trust, [1.0, 0.5, 0.25, 0.5], rtol=1e-6)
    fitted = mixed.series.loc[("P0002", "all")]  # a fitted series keeps its +-10% band
    assert mixed.confidence("P0002", "all", np.array([fitted["max_price"] * 1.1]))[0] == 1.0


def test_no_series_varies_the_default_prior_applies() -> None:
    products = {f"P{i:04d}" for i in range(1, 4)}
    frame = frame_with_constant_prices(3, 120, products)
    model = PriceResponseModel.fit(frame, members=2, quick=True)
    assert model.prior == DEFAULT_PRIOR
    table = model.elasticities(frame)
    assert (table["source"] == "default_prior").all()
    # the prior's slope (the pooled trees may add a little: rival gaps differ across series)
    np.testing.assert_allclose(model.priors[:, :, 1].mean(axis=0), DEFAULT_PRIOR.mean)
    assert table["elasticity"].to_numpy() == pytest.approx(DEFAULT_PRIOR.mean, abs=0.2)
    assert (table["lower"] < DEFAULT_PRIOR.mean).all() and (table["upper"] > -1.0).all()


def test_member_slopes_spread_over_the_prior_and_never_turn_positive() -> None:
    slopes = PricePrior(-1.5, 1.0, "default_prior").member_slopes(5)
    assert slopes.mean() == pytest.approx(-1.5, abs=0.15)
    assert np.all(np.diff(slopes) > 0) and slopes.min() < -2.5
    assert np.all(PricePrior(-0.2, 1.0, "pooled_prior").member_slopes(5) <= 0.0)


def test_the_prior_and_its_series_survive_save_and_load(mixed, tmp_path: Path) -> None:
    mixed.save(tmp_path)
    loaded = PriceResponseModel.load(tmp_path)
    assert loaded.prior == mixed.prior
    np.testing.assert_array_equal(loaded.sources(), mixed.sources())
