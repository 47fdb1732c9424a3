"""How the pricing service runs and whom it answers (``PRICING_SERVICE__*``, ``PRICING_API_KEY``).

One sub-model of :class:`pricing.settings.Settings`, read by ``bentos/service.py`` when
``bentoml serve`` imports it: workers, request bounds, CORS, BentoML's own metrics and tracing,
and the online read's timeouts. The API key is a top-level setting (``PRICING_API_KEY``) so
the variable clients' operators set is the one the issue names.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ServiceSettings(BaseModel):
    """``PRICING_SERVICE`` (a JSON object) or ``PRICING_SERVICE__<FIELD>`` variables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workers: int = Field(1, ge=1, le=64, description="BentoML worker processes (one per core).")
    max_items: int = Field(
        1000, ge=1, le=100_000, description="Items one /recommend request may carry (else 413)."
    )
    max_prices: int = Field(
        500, ge=1, le=100_000, description="Prices one /simulate request may ask (else 413)."
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest request body accepted (else 413)."
    )
    cors_origins: tuple[str, ...] = Field(
        (), description="Origins allowed to call the service from a browser; none = CORS off."
    )
    metrics: bool = Field(False, description="BentoML's Prometheus /metrics endpoint.")
    tracing: bool = Field(
        False,
        description="BentoML's OpenTelemetry tracing: every request sampled, exported where "
        "BentoML's own `tracing` configuration (BENTOML_CONFIG) says; off = no spans at all.",
    )
    read_timeout_s: float = Field(
        0.5,
        gt=0.0,
        le=30.0,
        description="Online-store read timeout: past it, the items get flagged fallback prices.",
    )
    read_retry_s: float = Field(
        1.0,
        gt=0.0,
        le=60.0,
        description="After a failed online read, reads fail at once (flagged fallbacks) for "
        "this long before the store is asked again.",
    )
    forecaster_timeout_s: float = Field(
        2.0, gt=0.0, le=60.0, description="How long /recommend waits for the forecaster service."
    )
    forecaster_retry_s: float = Field(
        5.0,
        ge=0.0,
        le=600.0,
        description="After a failed forecaster call, how long /recommend does not ask it again "
        "(the items that need a live forecast get flagged fallbacks meanwhile).",
    )


def bentoml_options(service: ServiceSettings) -> dict[str, Any]:
    """The ``@bentoml.service`` arguments these settings decide: workers, Prometheus metrics,
    and tracing (off: no URL traced, so BentoML's OpenTelemetry middleware does no work)."""
    tracing = {"sample_rate": 1.0} if service.tracing else {"excluded_urls": [".*"]}
    return {"workers": service.workers, "metrics": {"enabled": service.metrics}, "tracing": tracing}


def cors_options(service: ServiceSettings) -> dict[str, Any] | None:
    """Starlette ``CORSMiddleware`` options for the configured origins; None = CORS off."""
    if not service.cors_origins:
        return None
    return {
        "allow_origins": list(service.cors_origins),
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["Authorization", "Content-Type"],
        "max_age": 600,
    }
