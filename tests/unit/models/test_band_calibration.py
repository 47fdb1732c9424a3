"""The forecast band's conformal calibration: the margin's coverage, its bounds, its file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pricing.models.demand import (
    META_FILE,
    DemandForecaster,
    ForecastConfig,
    conformal_widening,
    widen,
)
from pricing.models.series import build_panel


def _inside(low: float, high: float, actual: np.ndarray) -> float:
    return float(np.mean((actual >= low) & (actual <= high)))


def test_a_too_narrow_band_is_widened_to_the_requested_coverage() -> None:
    rng = np.random.default_rng(0)
    calibration, fresh = rng.normal(size=2000), rng.normal(size=50_000)
    margin = conformal_widening(np.full(2000, -0.5), np.full(2000, 0.5), calibration)  # 38%
    assert margin > 0
    assert abs(_inside(-0.5 - margin, 0.5 + margin, fresh) - 0.8) < 0.015


def test_a_too_wide_band_is_narrowed() -> None:
    rng = np.random.default_rng(1)
    calibration, fresh = rng.normal(size=2000), rng.normal(size=50_000)
    margin = conformal_widening(np.full(2000, -3.0), np.full(2000, 3.0), calibration)
    assert margin < 0
    assert abs(_inside(-3.0 - margin, 3.0 + margin, fresh) - 0.8) < 0.015


def test_the_margin_covers_at_least_the_finite_sample_share_of_its_own_points() -> None:
    actual = np.arange(9.0)
    margin = conformal_widening(np.full(9, 4.0), np.full(9, 4.0), actual)
    assert _inside(4.0 - margin, 4.0 + margin, actual) >= np.ceil(10 * 0.8) / 9


def test_no_held_out_point_leaves_the_band_as_it_is() -> None:
    assert conformal_widening(np.array([]), np.array([]), np.array([])) == 0.0


def test_narrowing_never_moves_the_band_past_the_median() -> None:
    log_q = np.array([[0.0, 1.0, 2.0], [0.9, 1.0, 1.1]])
    out = widen(log_q, -0.5)
    np.testing.assert_allclose(out, [[0.5, 1.0, 1.5], [1.0, 1.0, 1.0]])


def test_quick_mode_holds_nothing_out_and_keeps_the_band(forecaster: DemandForecaster) -> None:
    assert forecaster.margin == 0.0 and forecaster.calibration_points == 0


def test_early_stopping_windows_calibrate_the_band(
    forecast_market: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    sales, competitors = forecast_market
    config = ForecastConfig(lookback=14, hidden=4, members=1, epochs=2, patience=1)
    fitted = DemandForecaster(config).fit_panel(build_panel(sales, competitors, "daily"), 7)
    assert fitted.calibration_points > 0 and np.isfinite(fitted.margin)


def test_the_margin_is_saved_and_an_older_file_loads_uncalibrated(
    forecaster: DemandForecaster, forecast_market: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    sales, competitors = forecast_market
    meta_file = forecaster.save(tmp_path / "forecaster") / META_FILE
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "margin": 0.3, "calibration_points": 12}))
    widened = DemandForecaster.load(meta_file.parent)
    assert (widened.margin, widened.calibration_points) == (0.3, 12)
    meta_file.write_text(json.dumps({k: v for k, v in meta.items() if k != "margin"}))
    older = DemandForecaster.load(meta_file.parent)
    assert older.margin == 0.0
    history = sales[sales["date"] < sales["date"].max() - pd.Timedelta(days=13)]
    plan = sales[sales["date"] >= sales["date"].max() - pd.Timedelta(days=13)]
    wide, plain = (m.predict(history, competitors, plan) for m in (widened, older))
    assert (wide["q10"] <= plain["q10"]).all() and (wide["q90"] >= plain["q90"]).all()
    assert (wide["q90"] - wide["q10"]).sum() > (plain["q90"] - plain["q10"]).sum()
    pd.testing.assert_series_equal(wide["q50"], plain["q50"])
