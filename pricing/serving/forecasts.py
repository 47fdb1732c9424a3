"""Demand forecasts on demand: the LSTM asked live where a published forecast cannot serve.

``pricing train`` publishes every series' next-period forecast to the online store, so a
request normally reads it with the other features and no TensorFlow runs on the hot path.
:class:`ForecastingSource` wraps the feature source: for the rows whose published forecast is
missing or stale (judged by :func:`pricing.serving.features.freshness_problem`, on the
forecast's fields alone) and whose other features are usable, it asks the forecaster for all of
them in one batched call, fills the ``forecast_*`` fields (stamped at the end of the history
the forecaster read) and marks ``forecast_source: "live"``; rows it leaves alone say
``"published"``. When the forecaster fails or times out, the rows stay as read and say why in
``forecast_gap`` (the engine then prices them with a flagged fallback), and the forecaster is
not asked again for ``retry_s``: a dead forecaster must not hold every request that needs it
for the whole timeout, since the read path runs on the service's event loop.

Pure: the forecaster is any :class:`ForecastClient` (the Forecaster service over HTTP in
``bentos/forecaster.py``; a fake in tests). The same contracts carry ``POST /forecast``
(:mod:`pricing.serving.forecast_desk`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pricing.serving.breaker import Breaker
from pricing.serving.features import (
    REQUIRED,
    TS,
    FeatureSource,
    Row,
    freshness_problem,
    number,
    prefer_realtime,
)

#: The published forecast's share of ``features.REQUIRED``.
FORECAST_REQUIRED = ("forecast_units", "forecast_ref_price")
#: Row keys this module writes: where the forecast came from, why a live one is missing,
#: and whether that is because the forecaster could not be asked (a retry may succeed).
SOURCE, GAP, UNREACHABLE, MODEL, HISTORY_END = (
    "forecast_source",
    "forecast_gap",
    "forecast_unreachable",
    "forecast_model",
    "forecast_history_end",
)
LIVE, PUBLISHED = "live", "published"


# -- the contract between the pricing service and the Forecaster service ------------------------


class SeriesAsk(BaseModel):
    """One series to forecast and its planned prices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: str
    location_id: str
    prices: list[float] = Field(
        default_factory=list,
        description="Planned price per period; later periods repeat the last one, and none at "
        "all means the series' last price.",
    )


class SeriesForecast(BaseModel):
    """Quantiles of one series' units per period (empty lists and an error if it has none)."""

    product_id: str
    location_id: str
    prices: list[float] = Field(default_factory=list, description="The planned prices used.")
    q10: list[float] = Field(default_factory=list)
    q50: list[float] = Field(default_factory=list)
    q90: list[float] = Field(default_factory=list)
    error: str | None = None


class ForecastBatch(BaseModel):
    """The forecaster's answer: one entry per asked series, in order."""

    model: str = Field(description="Tag of the demand model.")
    grain: str
    history_end: datetime = Field(description="End of the last period of history it read.")
    dates: list[str] = Field(description="Start of each forecast period (ISO dates).")
    series: list[SeriesForecast]


class ForecastClient(Protocol):
    """The forecaster as the read path calls it: synchronous, bounded by its own timeout."""

    def forecast(self, asks: Sequence[SeriesAsk], horizon: int | None = None) -> ForecastBatch: ...


class AsyncForecastClient(Protocol):
    """The forecaster as ``POST /forecast`` calls it, from the event loop."""

    async def aforecast(
        self, asks: Sequence[SeriesAsk], horizon: int | None = None
    ) -> ForecastBatch: ...


class Forecasting(ForecastClient, AsyncForecastClient, Protocol):
    """Both ways of calling the forecaster (the service's clients do both)."""


# -- judging a published forecast ----------------------------------------------------------------


def _alone(row: Row, fields: Sequence[str], as_of: pd.Timestamp, max_age: pd.Timedelta) -> Row:
    """``row`` with the required features outside ``fields`` standing in as present and current,
    so that ``freshness_problem`` judges ``fields`` alone, by its own rules."""
    now = as_of.timestamp()
    judged = {name: 1.0 for name in REQUIRED} | {name + TS: now for name in REQUIRED}
    return judged | {k: row.get(k) for name in fields for k in (name, name + TS)}


def forecast_problem(row: Row, as_of: pd.Timestamp, max_age: pd.Timedelta) -> str | None:
    """Why the row's published forecast cannot be used (None if it can)."""
    return freshness_problem(_alone(row, FORECAST_REQUIRED, as_of, max_age), as_of, max_age)


def needs_live_forecast(row: Row, as_of: pd.Timestamp, max_age: pd.Timedelta) -> str | None:
    """Why a live forecast is needed: the published one is missing or stale and it is all that
    keeps the row from a model price (None otherwise; one freshness check when all is well)."""
    if freshness_problem(row, as_of, max_age) is None:
        return None
    problem = forecast_problem(row, as_of, max_age)
    if problem is None:
        return None
    others = [name for name in REQUIRED if name not in FORECAST_REQUIRED]
    rest = _alone(prefer_realtime(dict(row)), others, as_of, max_age)
    return problem if freshness_problem(rest, as_of, max_age) is None else None


# -- the read path -------------------------------------------------------------------------------


class ForecastUnavailable(RuntimeError):
    """The forecaster did not answer (a client raises it saying how: timeout, refused...)."""


def failure(error: Exception) -> str:
    """A failed forecaster call, in words (a client's own words when it says how)."""
    if isinstance(error, ForecastUnavailable):
        return str(error)
    return f"forecaster failed: {type(error).__name__}: {error}"


def live_fields(answer: SeriesForecast, batch: ForecastBatch) -> Row:
    """A live forecast as the published fields (next period, horizon totals), stamped at the
    end of the history it was made from."""
    stamp = batch.history_end.timestamp()
    values = {
        "forecast_units": answer.q50[0],
        "forecast_q10": answer.q10[0],
        "forecast_q90": answer.q90[0],
        "forecast_ref_price": answer.prices[0],
        "forecast_horizon_units": float(sum(answer.q50)),
        "forecast_horizon": float(len(answer.q50)),
    }
    stamped = {name + TS: stamp for name in values}
    return values | stamped | {MODEL: batch.model, HISTORY_END: batch.history_end.isoformat()}


def _ask(key: tuple[str, str], row: Row) -> SeriesAsk:
    """A series at the price in effect (unknown: the forecaster takes the series' last one)."""
    price = number(row, "last_price")
    prices = [price] if math.isfinite(price) and price > 0 else []
    return SeriesAsk(product_id=key[0], location_id=key[1], prices=prices)


@dataclass
class ForecastingSource:
    """A feature source that fills missing or stale published forecasts from the forecaster."""

    inner: FeatureSource
    client: ForecastClient
    as_of: Callable[[], pd.Timestamp]
    max_age: pd.Timedelta
    breaker: Breaker
    history_end: datetime | None = field(default=None, init=False)  # as last answered

    @property
    def service_name(self) -> str | None:
        return getattr(self.inner, "service_name", None)

    def read(self, keys: Sequence[tuple[str, str]]) -> list[Row]:
        rows = self.inner.read(keys)
        as_of, wanted = self.as_of(), []
        for key, row in zip(keys, rows, strict=True):
            row[SOURCE] = PUBLISHED
            if needs_live_forecast(row, as_of, self.max_age) is not None:
                wanted.append((key, row))
        if wanted:
            self._fill(wanted, as_of)
        return rows

    def _fill(self, wanted: list[tuple[tuple[str, str], Row]], as_of: pd.Timestamp) -> None:
        """Ask once for all ``wanted`` rows; fill those it answers usably, flag the others."""
        if (blocked := self.breaker.blocked()) is not None:
            self._flag(wanted, blocked, unreachable=True)
            return
        if (stale := self._stale_history(as_of)) is not None:
            self._flag(wanted, stale, unreachable=False)
            return
        try:
            batch = self.client.forecast([_ask(key, row) for key, row in wanted])
        except Exception as error:  # any failure of the call degrades to flagged fallbacks
            reason = failure(error)
            self.breaker.failed(reason)
            self._flag(wanted, reason, unreachable=True)
            return
        self.breaker.succeeded()
        self.history_end = batch.history_end
        for (_, row), answer in zip(wanted, batch.series, strict=True):
            self._apply(row, answer, batch, as_of)

    @staticmethod
    def _flag(wanted: list[tuple[tuple[str, str], Row]], gap: str, unreachable: bool) -> None:
        for _, row in wanted:
            row[GAP], row[UNREACHABLE] = gap, unreachable

    def _stale_history(self, as_of: pd.Timestamp) -> str | None:
        """The forecaster's history as last seen is too old to forecast from for ``as_of``."""
        if self.history_end is None:
            return None
        if pd.Timestamp(self.history_end) >= as_of - self.max_age:
            return None
        return (
            f"the forecaster's history ends {self.history_end.isoformat()}, too old for "
            f"as-of {as_of.isoformat()}"
        )

    def _apply(
        self, row: Row, answer: SeriesForecast, batch: ForecastBatch, as_of: pd.Timestamp
    ) -> None:
        if answer.error is not None or not answer.q50:
            row[GAP] = f"forecaster: {answer.error or 'no forecast'}"
            return
        live = live_fields(answer, batch)
        problem = forecast_problem(live, as_of, self.max_age)
        if problem is not None:
            row[GAP] = f"live forecast unusable ({problem})"
            return
        row.update(live)
        row[SOURCE] = LIVE
