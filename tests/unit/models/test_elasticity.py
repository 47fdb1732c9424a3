"""The XGBoost price response: behavioural checks on a small simulated market, in memory."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing.data.schemas import KEY
from pricing.features.calendar import calendar_features
from pricing.features.engine import PandasEngine
from pricing.market.generate import generate_market
from pricing.market.params import ProductParams
from pricing.models.demand_at_price import DemandContext, expected_units
from pricing.models.elasticity import PriceResponseModel
from pricing.models.elasticity_eval import evaluate_elasticity

LABELS = ["units_sold", "price", "promo", "stockout"]


def snapshot_frame(products: int, days: int, seed: int) -> tuple[pd.DataFrame, list[ProductParams]]:
    """What a snapshot of a generated market holds (gapless daily data: an exact-time join)."""
    market = generate_market(products, days, seed)
    batch = market.batch
    tables = {
        "sales": batch.sales,
        "inventory": batch.inventory,
        "competitor_prices": batch.competitor_prices,
    }
    rows = batch.sales[[*KEY, "date", *LABELS]].rename(columns={"date": "event_timestamp"})
    for view in PandasEngine().build(tables, "daily").values():
        rows = rows.merge(
            view.drop(columns="created_timestamp"), on=[*KEY, "event_timestamp"], how="left"
        )
    calendar = calendar_features(rows["event_timestamp"], "daily")
    return pd.concat([rows, calendar], axis=1), market.params


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, list[ProductParams]]:
    return snapshot_frame(10, 300, seed=5)


@pytest.fixture(scope="module")
def model(market: tuple[pd.DataFrame, list[ProductParams]]) -> PriceResponseModel:
    return PriceResponseModel.fit(market[0], seed=0, members=3)


def contexts(
    frame: pd.DataFrame, model: PriceResponseModel, promo: float = 0.0
) -> list[tuple[str, str, DemandContext]]:
    """(product, location, context) at each series' reference price with its latest features."""
    latest = frame.sort_values("event_timestamp").groupby(KEY).tail(1)
    out = []
    for row in latest.to_dict("records"):
        product, location = str(row["product_id"]), str(row["location_id"])
        context = DemandContext(
            when=row["event_timestamp"],
            ref_price=float(model.series.loc[(product, location), "ref_price"]),
            base_units=20.0,
            competitor_price=float(row["competitor_min_price"]),
            response=model,
            promo=promo,
            features={k: v for k, v in row.items() if isinstance(v, float | int)},
        )
        out.append((product, location, context))
    return out


@pytest.mark.parametrize("promo", [0.0, 1.0])
def test_expected_units_never_increase_with_price(
    market: tuple[pd.DataFrame, list[ProductParams]], model: PriceResponseModel, promo: float
) -> None:
    for product, location, context in contexts(market[0], model, promo):
        grid = context.ref_price * np.exp(np.linspace(np.log(0.2), np.log(4.0), 300))
        units = expected_units(product, location, grid, context)
        assert units.shape == grid.shape
        assert np.all(units > 0)
        assert np.all(np.diff(units) <= 0), product


def test_response_is_one_at_the_reference_and_falls_with_price(
    market: tuple[pd.DataFrame, list[ProductParams]], model: PriceResponseModel
) -> None:
    for product, location, context in contexts(market[0], model):
        ref = context.ref_price
        ratio = model.ratio(product, location, np.array([ref * 0.8, ref, ref * 1.25]), context)
        assert ratio[1] == 1.0
        assert ratio[0] > 1.0 > ratio[2]


def test_members_spread_around_the_ensemble(
    market: tuple[pd.DataFrame, list[ProductParams]], model: PriceResponseModel
) -> None:
    product, location, context = contexts(market[0], model)[0]
    prices = context.ref_price * np.array([0.7, 0.9, 1.1, 1.3])
    members = model.member_ratios(product, location, prices, context)
    assert members.shape == (3, 4)
    ensemble = model.ratio(product, location, prices, context)
    np.testing.assert_allclose(ensemble, np.exp(np.log(members).mean(axis=0)), rtol=1e-6)


def test_arc_elasticities_are_negative_and_track_the_truth(
    market: tuple[pd.DataFrame, list[ProductParams]], model: PriceResponseModel
) -> None:
    frame, params = market
    arcs = {p: model.arc_elasticity(p, loc, ctx) for p, loc, ctx in contexts(frame, model)}
    assert np.mean([arc < 0 for arc in arcs.values()]) >= 0.9
    table = model.elasticities(frame).set_index("product_id")
    columns = ["location_id", "elasticity", "lower", "upper", "ref_price", "source"]
    assert list(table.columns) == columns
    assert (table["source"] == "fitted").all()  # every simulated series moves its price
    assert (table["lower"] <= table["elasticity"]).all()
    assert (table["elasticity"] <= table["upper"]).all()
    truth = pd.Series({p.product_id: p.elasticity for p in params})
    assert table["elasticity"].corr(truth[table.index], method="spearman") > 0.7


def test_beyond_the_observed_prices_the_tail_is_the_series_own_slope(
    market: tuple[pd.DataFrame, list[ProductParams]], model: PriceResponseModel
) -> None:
    """Past the lowest and highest observed price the trees are not asked: the response goes
    on from the edge at the members' mean prior slope (the series' own log-log elasticity)."""
    for product, location, context in contexts(market[0], model)[:4]:
        info = model.series.loc[(product, location)]
        own = model.priors[:, model.series.index.get_loc((product, location)), 1].mean()
        assert own < 0
        high = info["max_price"] * np.array([1.0, 1.05, 1.3, 1.8, 2.5, 4.0])
        low = info["min_price"] * np.array([0.2, 0.35, 0.6, 0.8, 0.95, 1.0])
        for prices in (high, low):
            log_q = np.log(model.ratio(product, location, prices, context))
            slopes = np.diff(log_q) / np.diff(np.log(prices))
            np.testing.assert_allclose(slopes, own, rtol=1e-6)
        within = info["max_price"] * 1.1 * np.array([1.0, 1.3, 1.8, 2.5, 4.0])
        confidence = model.confidence(product, location, np.r_[info["ref_price"], within])
        assert confidence[0] == confidence[1] == 1.0
        assert np.all(np.diff(confidence[1:]) < 0) and confidence[-1] < 0.2


def test_unknown_series_is_a_key_error(
    market: tuple[pd.DataFrame, list[ProductParams]], model: PriceResponseModel
) -> None:
    _, _, context = contexts(market[0], model)[0]
    with pytest.raises(KeyError, match="no price response"):
        model.ratio("NOPE", "all", np.array([1.0]), context)


def test_save_load_round_trip_and_byte_identical_refits(
    market: tuple[pd.DataFrame, list[ProductParams]], tmp_path: Path
) -> None:
    frame = market[0]
    first = PriceResponseModel.fit(frame, seed=7, members=2, quick=True)
    paths = first.save(tmp_path / "a")
    again = PriceResponseModel.fit(frame, seed=7, members=2, quick=True).save(tmp_path / "b")
    assert [p.name for p in paths] == ["member_00.json", "member_01.json", "elasticity_model.json"]
    assert all(filecmp.cmp(a, b, shallow=False) for a, b in zip(paths, again, strict=True))
    other = PriceResponseModel.fit(frame, seed=8, members=2, quick=True).save(tmp_path / "c")
    assert not filecmp.cmp(paths[0], other[0], shallow=False)

    loaded = PriceResponseModel.load(tmp_path / "a")
    pd.testing.assert_frame_equal(loaded.elasticities(frame), first.elasticities(frame))
    for product, location, context in contexts(frame, first)[:3]:
        prices = context.ref_price * np.linspace(0.3, 3.0, 25)
        np.testing.assert_array_equal(
            loaded.member_ratios(product, location, prices, context),
            first.member_ratios(product, location, prices, context),
        )


def test_evaluate_elasticity_reports_scores(
    market: tuple[pd.DataFrame, list[ProductParams]],
) -> None:
    frame, params = market
    truth = pd.DataFrame(
        {"product_id": [p.product_id for p in params], "elasticity": [p.elasticity for p in params]}
    )
    scored = evaluate_elasticity(frame, truth, seed=0, quick=True)
    assert scored["products"] == scored["series"] == 10
    assert scored["share_negative"] == 1.0
    assert scored["rank_correlation"] > 0.7
    assert 0 <= scored["median_abs_error"] < 1.0
    assert -4.0 < scored["median_elasticity"] < -1.0
    plain = evaluate_elasticity(frame, None, seed=0, quick=True)
    assert plain["rank_correlation"] is None and plain["median_abs_error"] is None


def test_fast_price_trees_give_the_same_ratios(market, model):
    frame = market[0]
    latest = frame.sort_values("event_timestamp").groupby(KEY).tail(1).reset_index(drop=True)
    idx = model.series.index.get_indexer(pd.MultiIndex.from_frame(latest[KEY].astype(str)))
    ref = model.series["ref_price"].to_numpy()[idx]
    prices = ref[:, None] * np.linspace(0.6, 1.6, 9)[None, :]  # inside and beyond the tails
    exact = model.log_units(latest, idx, prices)
    fast = model.log_units(latest, idx, prices, fast=True)
    np.testing.assert_allclose(
        exact - exact[:, :, -1:], fast - fast[:, :, -1:], atol=2e-5
    )  # float32 trees: equal to rounding
