"""The demand LSTM as the Forecaster service runs it: quantiles at asked prices, any series.

The network reads each series' last ``lookback`` periods (units, price, promotions, rival
price, calendar). The Forecaster keeps them in memory: read once at start-up from the home's
sales and competitor prices (or the copy of their last ``lookback`` periods that a bento
carries, :mod:`pricing.serving.bento_home`), so a request only encodes its planned prices and
runs the network on the asked series. Every answer says where its history ends: forecasts
from a bento served long after its build come from history that old, and say so.

What does not depend on the request (each series' encoded lookback, static inputs and ids,
the calendar of the forecast periods) is encoded once, at start-up, as
``DemandForecaster.predict_panel`` would per call; a request then costs its planned prices'
encoding and one network call (a few milliseconds instead of ~13 ms, most of it calendar
features). ``tests/unit/serving/test_live_forecast.py`` holds the two to the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

from pricing.data.grain import period_delta
from pricing.data.home import HomeData
from pricing.models.demand import (
    DemandForecaster,
    _horizon_inputs,
    calendar_matrix,
    encoder_inputs,
    network_inputs,
    widen,
)
from pricing.models.series import (
    Panel,
    build_panel,
    ffill,
    fill_prices,
    future_dates,
    reference_price,
)
from pricing.serving.bento_home import recent_rows
from pricing.serving.forecasts import ForecastBatch, SeriesAsk, SeriesForecast


def recent_history(data: HomeData, grain: str, lookback: int) -> Panel:
    """Every series' last ``lookback`` periods of sales and rival prices, as a panel."""
    sales = recent_rows(data.read("sales"), grain, lookback)
    rivals = recent_rows(data.read("competitor_prices"), grain, lookback)
    return build_panel(sales, rivals, grain)


def take(panel: Panel, rows: Sequence[int]) -> Panel:
    """The panel of the given series (rows), in that order."""
    index = np.asarray(rows, dtype=int)
    arrays = {
        f.name: getattr(panel, f.name)[index]
        for f in fields(panel)
        if isinstance(getattr(panel, f.name), np.ndarray)
    }
    return replace(panel, keys=panel.keys.iloc[index].reset_index(drop=True), **arrays)


class LiveForecaster:
    """A loaded demand model and the recent history it forecasts from."""

    def __init__(self, model: DemandForecaster, history: Panel, tag: str) -> None:
        self.model, self.history, self.tag = model, history, tag
        keys = history.keys
        self._rows = {
            (str(p), str(loc)): i
            for i, (p, loc) in enumerate(zip(keys["product_id"], keys["location_id"], strict=True))
        }
        self.history_end = history.dates[-1] + period_delta(history.grain)
        dates = future_dates(history, model.horizon)
        self.dates = [d.date().isoformat() for d in dates]
        # The series' last prices, for asks without planned prices.
        self._last = fill_prices(history.price, reference_price(history))[:, -1]
        # predict_panel's request-independent inputs, encoded once.
        table, self._static, self._ids = model._series(history)
        self._scale, self._ref = table["scale"].to_numpy(), table["ref"].to_numpy()
        lookback = model.config.lookback if model.config else 0
        self._past = encoder_inputs(history, self._scale, self._ref, lookback)
        self._rival = ffill(history.rival)[:, -1]
        self._calendar = calendar_matrix(dates, history.grain)

    @classmethod
    def load(cls, model_dir: Path, tag: str, data: HomeData) -> LiveForecaster:
        """The model from its files and the history from ``data``, warmed up: Keras traces its
        graph on the first call and again on the first call with another batch size (then it
        relaxes the batch dimension), ~0.6 s each, which would otherwise be requests' time."""
        model = DemandForecaster.load(model_dir)
        if model.config is None:
            raise ValueError(f"demand model {tag} at {model_dir} has no network configuration")
        history = recent_history(data, model.grain, model.config.lookback)
        live = cls(model, history, tag)
        if live._rows:
            first = next(iter(live._rows))
            ask = SeriesAsk(product_id=first[0], location_id=first[1])
            for size in (1, 2, 3):
                live.forecast([ask] * size)
        return live

    def forecast(self, asks: Sequence[SeriesAsk], horizon: int | None = None) -> ForecastBatch:
        """Quantiles of each asked series' units over the next ``horizon`` periods (the model's
        by default) at its planned prices, in one network call."""
        full = self.model.horizon
        horizon = full if horizon is None else horizon
        if not 1 <= horizon <= full:
            raise ValueError(f"horizon must be 1..{full} (the demand model's), got {horizon}")
        found = [(i, self._rows.get((a.product_id, a.location_id))) for i, a in enumerate(asks)]
        known = [(i, row) for i, row in found if row is not None]
        answers = [
            SeriesForecast(
                product_id=a.product_id,
                location_id=a.location_id,
                error=f"no sales history for ({a.product_id}, {a.location_id}) in the last "
                f"{self.history.units.shape[1]} periods before {self.history_end.date()}",
            )
            for a in asks
        ]
        if known:
            rows = [row for _, row in known]
            plan = np.stack([self._plan(asks[i], row, full) for i, row in known])
            quantiles = self._predict(np.asarray(rows), plan)
            for (i, _), prices, q in zip(known, plan, quantiles, strict=True):
                answers[i] = SeriesForecast(
                    product_id=asks[i].product_id,
                    location_id=asks[i].location_id,
                    prices=[float(p) for p in prices[:horizon]],
                    q10=[float(x) for x in q[:horizon, 0]],
                    q50=[float(x) for x in q[:horizon, 1]],
                    q90=[float(x) for x in q[:horizon, 2]],
                )
        return ForecastBatch(
            model=self.tag,
            grain=self.history.grain,
            history_end=self.history_end.to_pydatetime(),
            dates=self.dates[:horizon],
            series=answers,
        )

    def _predict(self, rows: np.ndarray, price: np.ndarray) -> np.ndarray:
        """``predict_panel`` of the history's ``rows`` at ``price`` (no promotions), from the
        inputs encoded at start-up: quantiles (series, H, 3) in units."""
        future = _horizon_inputs(
            price, np.zeros_like(price), self._ref[rows], self._rival[rows], self._calendar
        )
        inputs = network_inputs(self._past[rows], future, self._static[rows], self._ids[rows])
        log_q = self.model._log_quantiles(inputs)
        quantiles = np.expm1(widen(log_q, self.model.margin))
        return np.maximum(quantiles * self._scale[rows, None, None], 0.0)

    def _plan(self, ask: SeriesAsk, row: int, horizon: int) -> np.ndarray:
        """The planned prices of the model's whole horizon: the last one asked repeats."""
        prices = list(ask.prices[:horizon]) or [float(self._last[row])]
        return np.array(prices + [prices[-1]] * (horizon - len(prices)), dtype=float)
