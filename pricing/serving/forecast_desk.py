"""``POST /forecast``: an item and its planned prices -> expected units per period.

The request is validated where its fields meet (``prices`` or one ``price``, the horizon
against the demand model's), the item resolved in the catalogue as ``/recommend`` resolves it,
and the forecaster asked through the same client the read path uses
(:mod:`pricing.serving.forecasts`). Errors are typed, so the service maps each to its status.

Demand at a price has one source (``expected_units``): the forecaster is asked at the price the
published forecast holds at, and each period's quantiles are scaled by the price response at
its planned price, as /simulate and /recommend scale the published forecast. Asking the LSTM
at the planned prices instead answered a second way: on retail_price 7.3 units at $45 where
/simulate said 2.3, since the LSTM barely responds to price there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from pricing.data.grain import period_delta
from pricing.serving.catalog import Catalog
from pricing.serving.forecasts import (
    AsyncForecastClient,
    ForecastBatch,
    ForecastUnavailable,
    SeriesAsk,
    SeriesForecast,
    failure,
)
from pricing.serving.http_requests import Item
from pricing.serving.response_at import ItemUnpriced, ResponseAt


class BeyondModelError(ValueError):
    """A well-formed request the demand model cannot answer (422); names the field."""


def _invalid(field: str, message: str, value: Any) -> ValidationError:
    """A 400 naming ``field``, shaped as BentoML shapes its own validation errors."""
    error = InitErrorDetails(
        type=PydanticCustomError("forecast_request", message),
        loc=(field,),
        input=value,
    )
    return ValidationError.from_exception_data("forecast request", [error])


def planned_prices(
    prices: Sequence[float] | None, price: float | None, horizon: int | None, model_horizon: int
) -> list[float]:
    """The price of each forecast period from a request: ``prices`` (the last repeating up to
    ``horizon``) or one ``price`` for the whole horizon (the model's, unless ``horizon``)."""
    if (prices is None) == (price is None):
        raise _invalid("prices", "give either `prices` (one per period) or one `price`", prices)
    if horizon is not None and horizon > model_horizon:
        raise BeyondModelError(
            f"horizon {horizon} is beyond the demand model's {model_horizon} periods"
        )
    if prices is None:
        return [float(price)] * (horizon or model_horizon)  # type: ignore[arg-type]
    if horizon is None and len(prices) > model_horizon:
        raise BeyondModelError(
            f"prices has {len(prices)} values; the demand model forecasts {model_horizon} periods"
        )
    if horizon is not None and len(prices) > horizon:
        raise _invalid("prices", f"prices has {len(prices)} values for horizon {horizon}", prices)
    wanted = horizon or len(prices)
    return [float(p) for p in prices] + [float(prices[-1])] * (wanted - len(prices))


#: The price response of an item at prices (``Engine.response_at`` over the online row):
#: raises UnknownItemError, or ItemUnpriced when the item's row cannot be used.
Respond = Callable[[Item, Sequence[float]], ResponseAt]


@dataclass(frozen=True)
class ForecastDesk:
    """``POST /forecast``: an item and its planned prices -> expected units per period."""

    catalog: Catalog
    client: AsyncForecastClient
    respond: Respond
    model_horizon: int
    as_of: Callable[[], pd.Timestamp]
    versions: dict[str, str]

    async def answer(
        self,
        product_id: str,
        location_id: str | None,
        prices: Sequence[float] | None,
        price: float | None,
        horizon: int | None,
    ) -> dict[str, Any]:
        """Raises UnknownItemError (404), ValidationError (400), BeyondModelError (422: also
        an item whose features are missing or stale) or ForecastUnavailable (503: also the
        online store down)."""
        entry = self.catalog.resolve(product_id, location_id)
        plan = planned_prices(prices, price, horizon, self.model_horizon)
        item = Item(product_id=entry.product_id, location_id=entry.location_id)
        try:
            response = self.respond(item, plan)
        except ItemUnpriced as error:
            kind = ForecastUnavailable if error.unavailable else BeyondModelError
            raise kind(str(error)) from None
        ask = SeriesAsk(
            product_id=entry.product_id, location_id=entry.location_id, prices=[response.ref_price]
        )
        try:
            batch = await self.client.aforecast([ask], len(plan))
        except Exception as error:
            raise ForecastUnavailable(failure(error)) from None
        return forecast_answer(batch, batch.series[0], plan, response, self.as_of(), self.versions)


def _scaled(values: Sequence[float], ratios: np.ndarray) -> list[float | None]:
    """Units scaled by the response; None (no figure) where it is not trusted (NaN)."""
    return [float(v * r) if math.isfinite(r) else None for v, r in zip(values, ratios, strict=True)]


def forecast_answer(
    batch: ForecastBatch,
    answer: SeriesForecast,
    plan: Sequence[float],
    response: ResponseAt,
    as_of: pd.Timestamp,
    versions: dict[str, str],
) -> dict[str, Any]:
    """The /forecast response body: per period its planned price, the forecaster's quantiles
    at the reference price scaled by the response at that price (none where it is not
    trusted, with the reason), and how old the history behind them is (in periods of the
    grain, at the service's as-of)."""
    if answer.error is not None:
        raise BeyondModelError(f"{answer.product_id}: {answer.error}")
    end = pd.Timestamp(batch.history_end)
    period = (end + period_delta(batch.grain)) - end
    ratios = response.trusted_ratios()
    q10, q50, q90 = (_scaled(q, ratios) for q in (answer.q10, answer.q50, answer.q90))
    points = [
        {
            "date": d,
            "price": float(p),
            "expected_units": mid,
            "q10": low,
            "q50": mid,
            "q90": high,
            "response_confidence": round(float(c), 3),
            "trusted": doubt is None,
            "trust_reason": doubt,
        }
        for d, p, low, mid, high, c, doubt in zip(
            batch.dates, plan, q10, q50, q90, response.confidence, response.doubts, strict=True
        )
    ]
    return {
        "product_id": answer.product_id,
        "location_id": answer.location_id,
        "horizon": len(points),
        "ref_price": response.ref_price,
        "points": points,
        "model_version": {"bento": versions.get("bento", ""), "demand": batch.model},
        "history_end": end.isoformat(),
        "history_age_periods": round(max((as_of - end) / period, 0.0), 3),
        "as_of": as_of.isoformat(),
    }
