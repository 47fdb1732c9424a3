"""The demand forecaster as a BentoML service of its own: TensorFlow loads here, nowhere else.

The pricing service depends on it (``bentoml.depends``): ``bentoml serve`` of the bento or of
the module starts it in a process of its own beside the pricing workers, reachable over a
Unix socket, and the pricing service's ``/readyz`` waits for it. Pricing asks it for live
forecasts (``pricing.serving.forecasts``) only where a published one is missing or stale,
and for ``POST /forecast``.

The calls go through :class:`HttpForecaster` (httpx, JSON), not BentoML's ``RemoteProxy``:
the pricing read path is synchronous and runs on the worker's event loop, where the proxy's
synchronous side cannot run (it needs an AnyIO worker thread) and its asynchronous side cannot
be awaited; httpx also gives each call a hard timeout of its own. Where no server runs the
forecaster (``bentoml serve --development``, ``Pricing.to_asgi()`` in tests), BentoML's
dependency is an instance in the same process and :class:`LocalForecaster` calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import bentoml
import httpx
from pydantic import Field

from pricing.data.home import HomeData
from pricing.serving.forecasts import ForecastBatch, ForecastUnavailable, SeriesAsk
from pricing.serving.runtime import ModelRef
from pricing_bentos.build import start_up

SETTINGS, TAGS = start_up()
DEMAND_MODEL = bentoml.models.BentoModel(TAGS["demand"])


def demand_ref() -> ModelRef:
    """The served demand model's tag, files and metadata (no TensorFlow needed)."""
    stored = DEMAND_MODEL.resolve()
    return ModelRef(str(stored.tag), Path(stored.path), dict(stored.info.metadata))


@bentoml.service(
    name="forecaster",
    workers=1,
    traffic={"timeout": 30},
    logging={"access": {"enabled": False}},
)
class Forecaster:
    """Next-H quantile forecasts of any series at planned prices, from the recent history."""

    demand_model = DEMAND_MODEL

    def __init__(self) -> None:
        from pricing.serving.live_forecast import LiveForecaster

        model = demand_ref()
        self.live = LiveForecaster.load(model.path, model.tag, HomeData(SETTINGS.data_dir))

    @bentoml.api(route="/forecast")
    async def forecast(
        self, asks: list[SeriesAsk], horizon: Annotated[int, Field(ge=1)] | None = None
    ) -> ForecastBatch:
        """Quantiles (10/50/90%) of units per period for each asked series.

        ``async``, so that Keras runs on the event loop's thread, one call at a time, as in
        the warm-up at start-up: its first call in another thread costs a second or so."""
        return self.live.forecast(asks, horizon)


def _body(asks: Sequence[SeriesAsk], horizon: int | None) -> dict[str, Any]:
    return {"asks": [ask.model_dump() for ask in asks], "horizon": horizon}


def _batch(answer: httpx.Response) -> ForecastBatch:
    if answer.status_code != 200:
        raise ForecastUnavailable(f"forecaster answered {answer.status_code}: {answer.text[:300]}")
    return ForecastBatch.model_validate_json(answer.content)


class HttpForecaster:
    """The Forecaster service over HTTP: its Unix socket under ``bentoml serve``, or a URL."""

    def __init__(self, url: str, timeout: float) -> None:
        from bentoml._internal.utils.uri import uri_to_path

        parsed = urlparse(url)
        uds = uri_to_path(url) if parsed.scheme == "file" else None
        base = {"file": "http://forecaster", "tcp": f"http://{parsed.netloc}"}.get(
            parsed.scheme, url
        )
        self.url, self.timeout = url, timeout
        self._sync = httpx.Client(
            base_url=base, transport=httpx.HTTPTransport(uds=uds), timeout=timeout
        )
        self._async = httpx.AsyncClient(
            base_url=base, transport=httpx.AsyncHTTPTransport(uds=uds), timeout=timeout
        )

    def _unavailable(self, error: httpx.TransportError) -> ForecastUnavailable:
        if isinstance(error, httpx.TimeoutException):
            return ForecastUnavailable(f"forecaster did not answer within {self.timeout:g} s")
        return ForecastUnavailable(f"forecaster unreachable at {self.url}: {error!r}")

    def forecast(self, asks: Sequence[SeriesAsk], horizon: int | None = None) -> ForecastBatch:
        try:
            return _batch(self._sync.post("/forecast", json=_body(asks, horizon)))
        except httpx.TransportError as error:
            raise self._unavailable(error) from None

    async def aforecast(
        self, asks: Sequence[SeriesAsk], horizon: int | None = None
    ) -> ForecastBatch:
        try:
            return _batch(await self._async.post("/forecast", json=_body(asks, horizon)))
        except httpx.TransportError as error:
            raise self._unavailable(error) from None


class LocalForecaster:
    """The Forecaster instance BentoML made in this process (where no server runs it),
    resolved on first use so that a pricing process never loads TensorFlow unasked."""

    def __init__(self, resolve: Callable[[], Any]) -> None:
        self._resolve = resolve

    def forecast(self, asks: Sequence[SeriesAsk], horizon: int | None = None) -> ForecastBatch:
        batch: ForecastBatch = self._resolve().live.forecast(asks, horizon)
        return batch

    async def aforecast(
        self, asks: Sequence[SeriesAsk], horizon: int | None = None
    ) -> ForecastBatch:
        return self.forecast(asks, horizon)


def forecaster_client(
    dependency: Any, resolve: Callable[[], Any], timeout: float
) -> HttpForecaster | LocalForecaster:
    """How a pricing process reaches the Forecaster: over HTTP where ``bentoml serve`` runs it
    (its address is in BentoML's runner map, or the dependency's ``url``), else in process."""
    from bentoml._internal.configuration.containers import BentoMLContainer

    runners: dict[str, str] = BentoMLContainer.remote_runner_mapping.get()
    url = dependency.url or runners.get(dependency.on.name)
    return HttpForecaster(url, timeout) if url else LocalForecaster(resolve)
