"""The pricing service: BentoML's HTTP in front of ``pricing.serving.runtime``.

Models are pinned at build time (``served_models.json``, written into the bento by
``pricing build``) and packed into the bento; served as a module (``bentoml serve
pricing_bentos.service:Pricing``), the home's ``prod`` models (else the most recent) are
served. Online features come from the home's Feast store (``PRICING_HOME``), checked when
``bentoml serve`` imports this module, before it starts any worker: a home without data or
Feast registry stops the server once, naming what is missing, instead of BentoML restarting a
failing worker forever while requests hang.
"""

from __future__ import annotations

import gc
from http import HTTPStatus
from pathlib import Path
from typing import Any

import bentoml
from starlette.responses import JSONResponse

from pricing.registry import verify_stored
from pricing.serving.access import count_error
from pricing.serving.artefacts import ArtefactError
from pricing.serving.catalog import UnknownItemError
from pricing.serving.config import bentoml_options
from pricing.serving.forecast_desk import BeyondModelError
from pricing.serving.forecasts import ForecastUnavailable
from pricing.serving.http_requests import (
    ForecastItem,
    Horizon,
    Item,
    Items,
    PlannedPrices,
    Price,
    Prices,
)
from pricing.serving.http_responses import (
    ForecastResponse,
    RecommendResponse,
    SimulateResponse,
    forecast_response,
    recommend_response,
    simulate_response,
)
from pricing.serving.response_at import ItemUnpriced
from pricing_bentos.build import start_up
from pricing_bentos.forecaster import Forecaster, demand_ref, forecaster_client
from pricing_bentos.middleware import guard, too_large


def error_response(status: HTTPStatus, message: str) -> Any:
    """An error body shaped like the service's 400s (``{"error": ..., "detail": [{"type",
    "loc", "msg"}]}``). Returned, not raised: BentoML passes a response through but wraps an
    exception's message in a list."""
    kind = status.phrase.lower().replace(" ", "_")
    detail = [{"type": kind, "loc": ["item"], "msg": message}]
    return JSONResponse({"error": message, "detail": detail}, status_code=status)


# This process's edge: the settings (of the home, or the home a bento carries) and model tags,
# read once, checked (a missing home stops the server once), passed on as values.
SETTINGS, TAGS = start_up()
try:
    verify_stored(TAGS)
except ArtefactError as error:  # once, here: BentoML would restart a failing worker forever
    raise SystemExit(f"error: {error}") from None


@bentoml.service(
    name="pricing",
    traffic={"timeout": 30, "max_concurrency": 512},
    logging={"access": {"enabled": False}},  # every decision is logged to Parquet instead
    **bentoml_options(SETTINGS.service),  # workers, metrics, tracing
)
class Pricing:
    """Prices, what-ifs and metadata for client systems.

    The endpoints are ``async`` although they compute: pricing is CPU-bound and short, and
    running it on the event loop avoids a thread hop and GIL hand-offs (measured: p50 latency
    fell from ~8 ms to ~3 ms at 100 requests/s on one core).
    """

    elasticity_model = bentoml.models.BentoModel(TAGS["elasticity"])
    agent_model = bentoml.models.BentoModel(TAGS["agent"])
    forecaster = bentoml.depends(Forecaster)  # `bentoml serve` starts it too (TensorFlow there)

    def __init__(self) -> None:
        from pricing.serving.runtime import ModelRef, Runtime

        context = bentoml.server_context
        version = context.bento_version
        bento = f"{context.bento_name}:{version}" if version != "not available" else ""
        models = {
            kind: ModelRef(str(model.tag), Path(model.path), dict(model.info.metadata))
            for kind, model in (("elasticity", self.elasticity_model), ("agent", self.agent_model))
        }
        models["demand"] = demand_ref()
        forecasts = forecaster_client(
            type(self).forecaster,
            lambda: self.forecaster,
            SETTINGS.service.forecaster_timeout_s,
        )
        self.runtime = Runtime(SETTINGS, models, bento=bento, forecaster=forecasts)
        # Everything loaded so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise stall requests for tens of milliseconds.
        gc.collect()
        gc.freeze()

    @bentoml.api(route="/recommend")
    async def recommend(self, items: Items) -> RecommendResponse:
        """Recommended prices with confidence, guardrails, explanation and versions."""
        if too_many := count_error(SETTINGS.service, "/recommend", "items", len(items)):
            return too_large(too_many, "items")
        return recommend_response(self.runtime.recommend(items))

    @bentoml.api(route="/simulate")
    async def simulate(self, item: Item, prices: Prices) -> SimulateResponse:
        """What-if: expected units, revenue and profit at each price."""
        if too_many := count_error(SETTINGS.service, "/simulate", "prices", len(prices)):
            return too_large(too_many, "prices")
        try:
            return simulate_response(self.runtime.simulate(item, prices))
        except UnknownItemError as error:
            return error_response(HTTPStatus.NOT_FOUND, str(error))
        except ItemUnpriced as error:
            failed = error.unavailable  # the online store or the forecaster, not the item
            status = HTTPStatus.SERVICE_UNAVAILABLE if failed else HTTPStatus.UNPROCESSABLE_ENTITY
            return error_response(status, str(error))

    @bentoml.api(route="/forecast")
    async def forecast(
        self,
        item: ForecastItem,
        prices: PlannedPrices | None = None,
        price: Price | None = None,
        horizon: Horizon | None = None,
    ) -> ForecastResponse:
        """Expected units over the next periods at planned prices (``prices``, one per period,
        the last repeating; or one ``price``), with the 10/50/90% quantiles."""
        assert self.runtime.forecasts is not None  # a forecaster is always given here
        try:
            answer = await self.runtime.forecasts.answer(
                item.product_id, item.location_id, prices, price, horizon
            )
        except UnknownItemError as error:
            return error_response(HTTPStatus.NOT_FOUND, str(error))
        except BeyondModelError as error:
            return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))
        except ForecastUnavailable as error:
            return error_response(HTTPStatus.SERVICE_UNAVAILABLE, str(error))
        return forecast_response(answer)

    @bentoml.api(route="/metadata")
    async def metadata(self) -> dict[str, Any]:
        """Versions, snapshot, feature services and the guardrail configuration."""
        return self.runtime.metadata()

    @bentoml.on_shutdown
    def shutdown(self) -> None:
        self.runtime.close()


try:
    guard(Pricing, SETTINGS)  # CORS, API key, body size, error shape
except ValueError as error:  # an empty PRICING_API_KEY: stop once, as above
    raise SystemExit(f"error: {error}") from None
