"""The Forecaster's model code: the inputs it encodes at start-up give predict_panel's numbers,
and the history cut to the lookback forecasts as the whole history does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.data.grain import period_delta
from pricing.market.generate import generate_market
from pricing.models.demand import DemandForecaster
from pricing.models.series import build_panel
from pricing.serving.bento_home import recent_rows
from pricing.serving.forecasts import SeriesAsk
from pricing.serving.live_forecast import LiveForecaster, take


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame, DemandForecaster]:
    """Four series over 120 days and the quick forecaster fitted on them."""
    batch = generate_market(4, 120, seed=3).batch
    model = DemandForecaster().fit(batch.sales, batch.competitor_prices, "daily", quick=True)
    return batch.sales, batch.competitor_prices, model


@pytest.fixture(scope="module")
def live(market) -> LiveForecaster:
    sales, rivals, model = market
    assert model.config is not None
    lookback = model.config.lookback
    history = build_panel(
        recent_rows(sales, "daily", lookback), recent_rows(rivals, "daily", lookback), "daily"
    )
    return LiveForecaster(model, history, "pricing-demand:test")


def test_encoded_once_equals_predict_panel(live):
    rows = np.array([2, 0])
    plan = np.array([[3.0] * live.model.horizon, np.linspace(2.0, 4.0, live.model.horizon)])
    expected = live.model.predict_panel(take(live.history, rows), plan, np.zeros_like(plan))
    np.testing.assert_array_equal(live._predict(rows, plan), expected)


def test_the_recent_history_forecasts_as_the_whole_history(market, live):
    sales, rivals, model = market
    keys = live.history.keys
    asks = [SeriesAsk(product_id=p, location_id=loc, prices=[4.0]) for p, loc in keys.values]
    batch = live.forecast(asks)
    origin = pd.Timestamp(batch.dates[0], tz="UTC")
    plan = keys.assign(date=origin, price=4.0)
    whole = model.predict(sales, rivals, plan).sort_values(["product_id", "location_id", "date"])
    expected = whole["q50"].to_numpy().reshape(len(keys), -1)
    np.testing.assert_allclose([s.q50 for s in batch.series], expected, rtol=1e-5)


def test_answers_name_prices_history_and_unknown_series(live):
    p, loc = live.history.keys.iloc[0]
    asks = [
        SeriesAsk(product_id=p, location_id=loc, prices=[2.0, 2.5]),
        SeriesAsk(product_id="NOPE", location_id="all"),
        SeriesAsk(product_id=p, location_id=loc),
    ]
    batch = live.forecast(asks, horizon=3)
    known, unknown, default = batch.series
    assert known.prices == [2.0, 2.5, 2.5] and len(known.q50) == 3
    assert all(a <= b <= c for a, b, c in zip(known.q10, known.q50, known.q90, strict=True))
    assert unknown.error is not None and "no sales history for (NOPE, all)" in unknown.error
    last = live.history.price[0][np.isfinite(live.history.price[0])][-1]
    assert default.prices == [pytest.approx(last)] * 3  # no plan: the price in effect
    end = live.history.dates[-1] + period_delta("daily")
    assert pd.Timestamp(batch.history_end) == end and batch.dates[0] == end.date().isoformat()
    with pytest.raises(ValueError, match=r"horizon must be 1\.\.7"):
        live.forecast(asks, horizon=8)
