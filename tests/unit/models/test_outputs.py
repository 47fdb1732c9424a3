"""Batch model outputs as feature rows: one row per series, stamped and tagged, from real models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.data.schemas import KEY
from pricing.models.demand import DemandForecaster
from pricing.models.elasticity import PriceResponseModel
from pricing.models.outputs import elasticity_rows, forecast_rows
from tests.unit.models.conftest import HELD_OUT
from tests.unit.models.test_elasticity import snapshot_frame

STAMPS = ["event_timestamp", "created_timestamp"]


def test_forecast_rows_hold_the_next_periods_at_the_current_price(
    forecaster: DemandForecaster, forecast_market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    sales, competitors = forecast_market
    origin = sales["date"].max() - HELD_OUT
    history = sales[sales["date"] < origin]
    as_of = origin + pd.Timedelta(hours=15)  # forecasts start at the as-of day's start
    rows = forecast_rows(forecaster, history, competitors, as_of, "pricing-demand:v3")

    last = history[history["observed"]].sort_values("date").groupby(KEY).tail(1)
    last = last.sort_values(KEY).reset_index(drop=True)
    assert list(rows[KEY].itertuples(index=False)) == list(last[KEY].itertuples(index=False))
    assert set(rows.columns) == {
        *KEY,
        "forecast_units",
        "forecast_q10",
        "forecast_q90",
        "forecast_horizon_units",
        "forecast_horizon",
        "forecast_ref_price",
        "forecast_model",
        *STAMPS,
    }
    assert (rows["forecast_model"] == "pricing-demand:v3").all()
    assert (rows[STAMPS] == as_of).all().all()
    np.testing.assert_array_equal(rows["forecast_ref_price"], last["price"])
    assert (rows["forecast_horizon"] == float(forecaster.horizon)).all()

    # The same figures asked of the forecaster directly: the current price held over the horizon.
    dates = pd.date_range(origin, periods=forecaster.horizon, freq="D")
    plan = pd.concat([last[KEY].assign(date=d, price=last["price"].to_numpy()) for d in dates])
    direct = forecaster.predict(history, competitors, plan).sort_values([*KEY, "date"])
    first = direct.groupby(KEY).head(1).reset_index(drop=True)
    np.testing.assert_allclose(rows["forecast_units"], first["q50"])
    np.testing.assert_allclose(rows["forecast_q10"], first["q10"])
    np.testing.assert_allclose(rows["forecast_q90"], first["q90"])
    np.testing.assert_allclose(
        rows["forecast_horizon_units"], direct.groupby(KEY)["q50"].sum().to_numpy()
    )


@pytest.fixture(scope="module")
def response() -> tuple[pd.DataFrame, PriceResponseModel]:
    frame, _ = snapshot_frame(3, 120, seed=4)
    return frame, PriceResponseModel.fit(frame, seed=0, members=3, quick=True)


def test_elasticity_rows_rename_stamp_and_tag(
    response: tuple[pd.DataFrame, PriceResponseModel],
) -> None:
    frame, model = response
    as_of = pd.Timestamp("2024-05-01 06:00", tz="UTC")
    rows = elasticity_rows(model, frame, as_of, "pricing-elasticity:v7")
    table = model.elasticities(frame).sort_values(KEY).reset_index(drop=True)

    assert list(rows.columns) == [
        *KEY,
        "elasticity",
        "elasticity_lower",
        "elasticity_upper",
        "elasticity_ref_price",
        "elasticity_source",
        *STAMPS,
        "elasticity_model",
    ]
    assert rows["product_id"].tolist() == sorted(frame["product_id"].astype(str).unique())
    np.testing.assert_allclose(rows["elasticity"], table["elasticity"])
    np.testing.assert_allclose(rows["elasticity_lower"], table["lower"])
    np.testing.assert_allclose(rows["elasticity_upper"], table["upper"])
    np.testing.assert_allclose(rows["elasticity_ref_price"], table["ref_price"])
    assert (rows["elasticity_source"] == "fitted").all()  # every series varied its price
    assert (rows[STAMPS] == as_of).all().all()
    assert (rows["elasticity_model"] == "pricing-elasticity:v7").all()


class _Infinite:
    """A model whose figures overflow: rows must carry them as missing, never as inf."""

    def elasticities(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "product_id": [2, 1],
                "location_id": ["all", "all"],
                "elasticity": [-np.inf, -1.5],
                "lower": [-np.inf, -2.0],
                "upper": [np.inf, -1.0],
                "ref_price": [3, 4],
            }
        )


def test_rows_have_string_keys_float_figures_and_no_infinities() -> None:
    as_of = pd.Timestamp("2024-05-01", tz="UTC")
    rows = elasticity_rows(_Infinite(), pd.DataFrame(), as_of, "t")  # type: ignore[arg-type]
    assert rows["product_id"].tolist() == ["1", "2"]  # keys as strings, rows sorted by key
    assert rows["elasticity"].tolist()[0] == -1.5 and np.isnan(rows["elasticity"].iloc[1])
    assert np.isnan(rows[["elasticity_lower", "elasticity_upper"]].iloc[1]).all()
    assert rows["elasticity_ref_price"].dtype == float
    assert rows["elasticity_ref_price"].tolist() == [4.0, 3.0]
