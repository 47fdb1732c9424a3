"""The serving runtime: engine + online feature source + decision log, loaded once.

Both the BentoML service (``bentos/service.py``) and in-process callers (tests, benchmarks)
build one of these; the service class only adapts HTTP to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pricing.clock import resolve_as_of
from pricing.data.home import HomeData
from pricing.models.agent_export import NumpyPolicy
from pricing.models.elasticity import PriceResponseModel
from pricing.policy.guardrails import load_guardrails
from pricing.serving.artefacts import verify_artefacts
from pricing.serving.breaker import Breaker
from pricing.serving.catalog import Catalog
from pricing.serving.decision_log import DecisionLog
from pricing.serving.engine import Engine, EngineConfig
from pricing.serving.features import FeatureSource, max_feature_age, open_feature_source
from pricing.serving.forecast_desk import ForecastDesk
from pricing.serving.forecasts import Forecasting, ForecastingSource
from pricing.serving.http_requests import Item
from pricing.settings import Settings

SERVED_KINDS = ("elasticity", "agent")


@dataclass(frozen=True)
class ModelRef:
    """A stored model the service loads: its tag, files and metadata."""

    tag: str
    path: Path
    metadata: Mapping[str, Any]


def registry_models(settings: Settings) -> dict[str, ModelRef]:
    """The ``prod`` models (or the most recent) of the kinds serving needs."""
    from pricing.registry import resolve_model

    found = {kind: resolve_model(settings, kind) for kind in SERVED_KINDS}
    return {k: ModelRef(m.tag, m.path, m.metadata) for k, m in found.items()}


class Runtime:
    """Everything a request needs, built once at startup."""

    def __init__(
        self,
        settings: Settings,
        models: Mapping[str, ModelRef],
        bento: str = "",
        source: FeatureSource | None = None,
        forecaster: Forecasting | None = None,
    ) -> None:
        verify_artefacts({kind: (m.path, m.metadata) for kind, m in models.items()})
        data = HomeData(settings.data_dir)
        grain = data.require_grain()
        response = PriceResponseModel.load(models["elasticity"].path)
        agent = NumpyPolicy.load(models["agent"].path)
        self.guardrails = load_guardrails(settings.guardrails)
        self.config = EngineConfig(
            reward=settings.reward,
            horizon=settings.selling_horizon,
            max_age=max_feature_age(grain, settings.max_feature_age),
        )
        self.source = source or open_feature_source(settings)
        snapshot = str(models["elasticity"].metadata.get("snapshot", ""))
        self.versions = {
            "bento": bento,
            "elasticity": models["elasticity"].tag,
            "agent": models["agent"].tag,
            "demand": models["demand"].tag if "demand" in models else "",
            "snapshot": snapshot,
        }
        if settings.as_of == "now":
            as_of = lambda: resolve_as_of(settings)  # noqa: E731
        else:
            fixed = resolve_as_of(settings, data)
            as_of = lambda: fixed  # noqa: E731
        catalog = Catalog(data.read("products"), response.series)
        self.engine = Engine(
            response, agent, catalog, self.guardrails, self.versions, as_of, self.config
        )
        # With a forecaster, missing or stale published forecasts are made live (one batched
        # call per request), and POST /forecast answers.
        self.forecasts: ForecastDesk | None = None
        if forecaster is not None:
            self.source = ForecastingSource(
                self.source,
                forecaster,
                as_of,
                self.config.max_age,
                Breaker(settings.service.forecaster_retry_s),
            )
            horizon = int(models["demand"].metadata["parameters"]["horizon"])
            self.forecasts = ForecastDesk(
                catalog,
                forecaster,
                lambda item, prices: self.engine.response_at(item, prices, self.source),
                horizon,
                as_of,
                self.versions,
            )
        self.log = DecisionLog(settings.decisions_dir) if settings.decision_log else None
        self.settings, self.grain, self.catalog_size = settings, grain, len(catalog)

    def recommend(self, items: Sequence[Item]) -> dict[str, Any]:
        results, records = self.engine.recommend(items, self.source)
        request_id = uuid.uuid4().hex
        if self.log is not None:
            self.log.log(records, request_id)
        return {"request_id": request_id, "items": results}

    def simulate(self, item: Item, prices: Sequence[float]) -> dict[str, Any]:
        return self.engine.simulate(item, prices, self.source)

    def metadata(self) -> dict[str, Any]:
        service = getattr(self.source, "service_name", None)
        return {
            "versions": self.versions,
            "snapshot": self.versions["snapshot"],
            "feature_services": {"serving": service},
            "grain": self.grain,
            "as_of": self.engine.as_of().isoformat(),
            "items": self.catalog_size,
            "config": {
                "reward": self.config.reward,
                "selling_horizon": self.config.horizon,
                "max_feature_age": str(self.config.max_age),
                "online_store": self.settings.online_store.type,
            },
            "guardrails": self.guardrails.model_dump(mode="json"),
            "forecasts": {
                "live": self.forecasts is not None,
                "timeout_s": self.settings.service.forecaster_timeout_s,
                "retry_s": self.settings.service.forecaster_retry_s,
            },
        }

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
