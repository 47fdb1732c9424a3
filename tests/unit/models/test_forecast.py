"""Demand forecaster, baselines and backtest on a tiny in-memory market (quick models)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing.models.backtest import (
    ALL_MODELS,
    backtest_forecasts,
    mase,
    origins,
    run_backtest,
    seasonal_scale,
    wape,
)
from pricing.models.demand import DemandForecaster, pinball_loss, series_table, training_windows
from pricing.models.forecast_baselines import BASELINES, naive, price_regression, seasonal_naive
from pricing.models.history import InsufficientHistoryError
from pricing.models.series import build_panel

HORIZON = 7
COLUMNS = ["product_id", "location_id", "date", "q10", "q50", "q90"]


def _split(sales: pd.DataFrame, origin: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History before ``origin`` and the planned prices/promo of the next week."""
    future = sales[(sales["date"] >= origin) & (sales["date"] < origin + pd.Timedelta(days=7))]
    return sales[sales["date"] < origin], future[
        ["product_id", "location_id", "date", "price", "promo"]
    ]


def _constant_sales(values: np.ndarray, start: str = "2024-01-01") -> pd.DataFrame:
    """One series with the given daily units at a fixed price (NaN = a masked gap row)."""
    n = len(values)
    return pd.DataFrame(
        {
            "product_id": "A",
            "location_id": "all",
            "date": pd.date_range(start, periods=n, freq="D", tz="UTC"),
            "observed": np.isfinite(values),
            "units_sold": values,
            "price": np.where(np.isfinite(values), 2.0, np.nan),
            "promo": 0.0,
            "stockout": False,
        }
    )


def test_predict_returns_ordered_quantiles_for_the_planned_periods(
    forecaster: DemandForecaster, forecast_market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    sales, competitors = forecast_market
    history, future = _split(sales, sales["date"].max() - pd.Timedelta(days=13))
    out = forecaster.predict(history, competitors, future)
    assert list(out.columns) == COLUMNS
    assert len(out) == 4 * HORIZON
    assert set(out["date"]) == set(future["date"])
    values = out[["q10", "q50", "q90"]].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert (out["q10"] <= out["q50"]).all() and (out["q50"] <= out["q90"]).all()


def test_forecast_responds_to_the_planned_price(
    forecaster: DemandForecaster, forecast_market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    sales, competitors = forecast_market
    history, future = _split(sales, sales["date"].max() - pd.Timedelta(days=13))
    cheap = forecaster.predict(history, competitors, future.assign(price=future["price"] * 0.7))
    dear = forecaster.predict(history, competitors, future.assign(price=future["price"] * 1.3))
    assert not np.allclose(cheap["q50"], dear["q50"])


def test_save_load_round_trip_gives_equal_predictions(
    forecaster: DemandForecaster, forecast_market: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    sales, competitors = forecast_market
    history, future = _split(sales, sales["date"].max() - pd.Timedelta(days=13))
    path = forecaster.save(tmp_path / "forecaster")
    assert (path / "model.keras").exists() and (path / "forecaster.json").exists()
    loaded = DemandForecaster.load(path)
    before = forecaster.predict(history, competitors, future)
    after = loaded.predict(history, competitors, future)
    pd.testing.assert_frame_equal(before, after)


def test_pinball_loss_ignores_masked_targets() -> None:
    pred = np.full((2, 1, 3, 3), 1.0, dtype="float32")
    target = np.array([[[1.0, 1], [5.0, 1], [0.0, 0]], [[2.0, 1], [0.0, 0], [0.0, 0]]])
    changed = target.copy()
    changed[:, :, 0] = np.where(target[:, :, 1] == 0, 1e6, target[:, :, 0])
    first = np.asarray(pinball_loss(target.astype("float32"), pred))
    second = np.asarray(pinball_loss(changed.astype("float32"), pred))
    np.testing.assert_allclose(first, second)


def test_training_windows_mask_stockouts_and_gaps() -> None:
    values = np.full(60, 10.0)
    values[40] = np.nan  # masked gap
    sales = _constant_sales(values)
    sales.loc[45, ["units_sold", "stockout"]] = [0.0, True]  # censored by stock
    panel = build_panel(sales, None, "daily")
    table = series_table(panel)
    assert table["scale"].iloc[0] == pytest.approx(10.0)  # the zero and the gap don't count
    scale, ref = table["scale"].to_numpy(), table["ref"].to_numpy()
    static, ids = np.zeros((1, 3)), np.zeros((1, 2), dtype=int)
    windows = training_windows(panel, scale, ref, static, ids, lookback=14, horizon=HORIZON)
    steps = windows.start[:, None] + np.arange(HORIZON)
    masked = np.isin(steps, [40, 45])
    assert (windows.target[..., 1][masked] == 0).all()
    assert (windows.target[..., 1][~masked] == 1).all()


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baselines_ignore_masked_zeros(name: str) -> None:
    values = np.full(70, 10.0)
    values[-3:] = np.nan  # three masked gap rows at the end
    sales = _constant_sales(values)
    sales.loc[[62, 63], ["units_sold", "stockout"]] = [0.0, True]
    panel = build_panel(sales, None, "daily")
    price, promo = np.full((1, HORIZON), 2.0), np.zeros((1, HORIZON))
    forecast = BASELINES[name](panel, price, promo)
    assert forecast.shape == (1, HORIZON)
    np.testing.assert_allclose(forecast, 10.0, rtol=0.05)


def test_lstm_is_not_pulled_to_zero_by_stockouts() -> None:
    rng = np.random.default_rng(0)
    frames = []
    for i in range(6):
        frame = _constant_sales(rng.poisson(20, 150).astype(float))
        out = rng.random(150) < 0.3  # 30% of days stocked out, recorded as zero sales
        frame.loc[out, ["units_sold", "stockout"]] = [0.0, True]
        frames.append(frame.assign(product_id=f"P{i}"))
    panel = build_panel(pd.concat(frames, ignore_index=True), None, "daily")
    # Two origins: the LSTM trains at the first and warm-starts at the second.
    starts = origins(len(panel.dates), HORIZON, 2 * HORIZON)
    result = backtest_forecasts(panel, HORIZON, starts, ["lstm", "naive"], quick=True, seed=0)
    # Demand is 20 a day; reading the stock-outs as zeros would pull it to about 14.
    assert 17.0 < result.forecasts["lstm"].mean() < 23.0
    assert 17.0 < result.forecasts["naive"].mean() < 23.0


def test_seasonal_naive_uses_last_season_and_falls_back_to_naive() -> None:
    values = np.arange(1.0, 22.0)  # three weeks: 1..21
    panel = build_panel(_constant_sales(values), None, "daily")
    price, promo = np.full((1, 3), 2.0), np.zeros((1, 3))
    np.testing.assert_allclose(seasonal_naive(panel, price, promo), [[15.0, 16.0, 17.0]])
    short = panel.head(3)
    np.testing.assert_allclose(seasonal_naive(short, price, promo), naive(short, price, promo))


def test_price_regression_predicts_more_at_a_lower_price() -> None:
    rng = np.random.default_rng(1)
    price = rng.choice([1.5, 2.0, 2.5], 120)
    units = np.round(40 * (price / 2.0) ** -2.0 * rng.lognormal(0, 0.05, 120))
    sales = _constant_sales(units).assign(price=price)
    panel = build_panel(sales, None, "daily")
    promo = np.zeros((1, HORIZON))
    low = price_regression(panel, np.full((1, HORIZON), 1.5), promo)
    high = price_regression(panel, np.full((1, HORIZON), 2.5), promo)
    assert (low > 1.5 * high).all()


def test_metrics_on_a_hand_computed_example() -> None:
    actual = np.array([[10.0, 20.0, 7.0], [5.0, 0.0, 9.0]])
    forecast = np.array([[12.0, 15.0, 0.0], [5.0, 3.0, 0.0]])
    mask = np.array([[True, True, False], [True, True, False]])
    assert wape(actual, forecast, mask) == pytest.approx((2 + 5 + 0 + 3) / 35)
    # series MAEs 3.5 and 1.5, scaled by 2 and 1 -> mean(1.75, 1.5)
    assert mase(actual, forecast, mask, np.array([2.0, 1.0])) == pytest.approx(1.625)
    panel = build_panel(_constant_sales(np.array([1.0, 2.0, 4.0, 7.0] * 3)), None, "daily")
    # lag-7 pairs (7,1), (1,2), (2,4), (4,7), (7,1): |6|+|1|+|2|+|3|+|6| over 5
    assert seasonal_scale(panel)[0] == pytest.approx(18 / 5)
    assert origins(100, 7, 28) == [72, 79, 86, 93]


def test_no_model_sees_data_after_the_origin(
    forecaster: DemandForecaster, forecast_market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    sales, competitors = forecast_market
    origin = sales["date"].max() - pd.Timedelta(days=13)
    after = sales["date"] >= origin
    inflated = sales.assign(units_sold=sales["units_sold"].where(~after, sales["units_sold"] * 1e4))
    _, future = _split(sales, origin)
    # The forecaster is handed the whole table and must cut it at the planned periods.
    ours = forecaster.predict(sales, competitors, future)
    pd.testing.assert_frame_equal(forecaster.predict(inflated, competitors, future), ours)
    assert ours["q90"].max() < 1e3

    panel, huge = (build_panel(frame, competitors, "daily") for frame in (sales, inflated))
    starts = [panel.dates.get_loc(origin), panel.dates.get_loc(origin) + HORIZON]
    names = sorted(BASELINES)
    base = backtest_forecasts(panel, HORIZON, starts, names, quick=True, seed=0)
    other = backtest_forecasts(huge, HORIZON, starts, names, quick=True, seed=0)
    assert other.actual[other.mask].min() > 100 * base.actual.max()
    for name in names:
        np.testing.assert_allclose(base.forecasts[name][:, 0], other.forecasts[name][:, 0])


def test_run_backtest_reports_every_model(
    forecast_market: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    sales, competitors = forecast_market
    # The LSTM's part is covered above (and by the integration test on real data).
    names = [name for name in ALL_MODELS if name != "lstm"]
    result = run_backtest(sales, competitors, "daily", horizon=7, holdout=14, models=names)
    assert set(result["models"]) == set(names)
    assert (result["horizon"], result["holdout"], result["origins"], result["series"]) == (
        7,
        14,
        2,
        4,
    )
    for scores in result["models"].values():
        assert np.isfinite(scores["wape"]) and np.isfinite(scores["mase"])
    # Naive by hand: the last usable value before each origin, scored over the usable periods.
    panel = build_panel(sales, competitors, "daily")
    errors = total = 0.0
    for cut in origins(len(panel.dates), 7, 14):
        for units, usable in zip(panel.units, panel.usable, strict=True):
            last = units[:cut][usable[:cut]][-1]
            ahead = units[cut : cut + 7][usable[cut : cut + 7]]
            errors, total = errors + np.abs(ahead - last).sum(), total + ahead.sum()
    assert result["models"]["naive"]["wape"] == pytest.approx(errors / total)
    with pytest.raises(ValueError, match="unknown models"):
        run_backtest(sales, competitors, "daily", models=["prophet"])


def test_a_history_shorter_than_one_window_is_refused_naming_the_need() -> None:
    sales = _constant_sales(np.full(HORIZON, 10.0))
    with pytest.raises(InsufficientHistoryError, match=r"at least 8 days .* the home has 7"):
        DemandForecaster().fit(sales, None, "daily", quick=True)


def test_a_history_too_short_for_early_stopping_still_trains() -> None:
    """Ten days cannot spare a week for early stopping: the full-size network trains on all
    its windows instead, and forecasts."""
    sales = _constant_sales(np.tile([10.0, 11.0, 12.0], 4)[:10])
    forecaster = DemandForecaster().fit(sales, None, "daily", seed=0)
    plan = sales.tail(1)[["product_id", "location_id", "price"]].assign(
        date=sales["date"].max() + pd.Timedelta(days=1)
    )
    forecast = forecaster.predict(sales, None, plan)
    assert len(forecast) == HORIZON and (forecast["q50"] > 0).all()


def test_backtest_on_too_short_a_history_names_what_it_needs() -> None:
    sales = _constant_sales(np.full(10, 10.0))
    with pytest.raises(InsufficientHistoryError, match=r"36 days .*holdout of 28.* has 10"):
        run_backtest(sales, None, "daily")
    with pytest.raises(InsufficientHistoryError, match=r"at least 11 days"):  # baselines: +2
        run_backtest(sales, None, "daily", horizon=2, holdout=9, models=["naive"])
    result = run_backtest(sales, None, "daily", horizon=2, holdout=6, models=["naive"])
    assert result["origins"] == 3
