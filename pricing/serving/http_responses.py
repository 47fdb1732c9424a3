"""Response contracts of the pricing service (documented in its OpenAPI schema).

The engine builds plain dicts; these models only wrap them for the HTTP layer. They are built
with ``model_construct`` (no second validation on the hot path): the engine is the single
writer and its unit tests pin the fields.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field


class Guardrails(BaseModel):
    rules: list[str] = Field(description="Rules that bound the allowed price range.")
    conflicts: list[str] = Field(description="Rules that had to give way, as sentences.")
    not_applicable: list[str] = Field(description="Rules skipped for lack of data.")
    allowed_range: list[float] = Field(description="Lowest and highest allowed price.")


class Driver(BaseModel):
    name: str = Field(description="'stock', 'competitor', 'elasticity' or 'promotion'.")
    counterfactual_price: float = Field(
        description="The price the policy picks on the same ladder with this driver neutral "
        "(ample stock, the competitor at our price, the catalogue's median elasticity, no "
        "promotion)."
    )
    effect: float = Field(
        description="recommended_price - counterfactual_price: positive when this driver "
        "raised the price, negative when it lowered it, 0 when it changed nothing."
    )


class Recommendation(BaseModel):
    product_id: str
    location_id: str
    recommended_price: float
    confidence: float | None = Field(
        description="P(the recommended price earns more than the current one) across the "
        "forecast and price-response uncertainty; when it keeps the price, P(keeping beats "
        "a step up or down the ladder). None for fallbacks."
    )
    current_price: float | None = Field(description="The price in effect.")
    competitor_price: float | None
    expected_units: float | None = Field(description="Expected demand next period.")
    expected_revenue: float | None = Field(description="Price x expected sales (stock-capped).")
    elasticity: float | None = Field(description="Arc price elasticity at the reference price.")
    elasticity_source: str | None = Field(
        None,
        description="'fitted' (from the item's own prices), 'pooled_prior' (its prices never "
        "varied enough: the other items' pooled elasticity) or 'default_prior' (no item's "
        "did: a documented default); a prior caps the confidence. None for fallbacks.",
    )
    guardrails_applied: Guardrails
    explanation: str
    model_version: dict[str, str | None] = Field(
        description="bento, elasticity, agent and forecast model tags, snapshot id."
    )
    drivers: list[Driver] = Field(
        default_factory=list,
        description="What moved the price, as numbers: those that pushed it the way it moved "
        "(on a keep: those holding it) strongest first, then those that held it back, then "
        "those without effect. Empty for fallbacks.",
    )
    policy: str = Field(description="'ppo', or 'fallback' when features were missing/stale.")
    fallback: bool
    fallback_reason: str | None = None


class ItemError(BaseModel):
    product_id: str
    location_id: str | None
    error: str


class RecommendResponse(BaseModel):
    request_id: str
    items: list[Recommendation | ItemError]


#: How far the price response may be trusted at a point's price (/simulate and /forecast).
ResponseConfidence = Annotated[
    float | None,
    Field(
        description="1 inside the observed price range +-10%, halving per further 10% (for an "
        "item whose price never varied, per 10% away from its one price): below 1 the price "
        "response is extrapolated."
    ),
]
Trusted = Annotated[
    bool,
    Field(
        description="Whether the price response is trusted at this price (response_confidence "
        ">= 0.25, i.e. within about 21% beyond the observed range +-10%). When false, the "
        "point's units (and revenue and profit) are null rather than extrapolated without "
        "bound, and trust_reason says why."
    ),
]
TrustReason = Annotated[
    str | None,
    Field(
        description="Why no figure is given (None when trusted): how far the price is below "
        "the lowest or above the highest observed price, and its response confidence."
    ),
]


class SimulatedPoint(BaseModel):
    price: float
    expected_units: float | None
    expected_revenue: float | None
    expected_profit: float | None = Field(description="None without a unit cost.")
    allowed: bool = Field(description="Whether the guardrail ladder allows this price now.")
    reason: str | None = Field(
        None,
        description="Why the price is not allowed (None when it is): outside the allowed "
        "range and the rules setting it, or between two ladder steps (price endings or "
        "spacing) with the nearest allowed prices.",
    )
    response_confidence: ResponseConfidence
    trusted: Trusted = True
    trust_reason: TrustReason = None


class SimulateResponse(BaseModel):
    product_id: str
    location_id: str
    current_price: float | None
    competitor_price: float | None
    guardrails_applied: Guardrails
    model_version: dict[str, str | None]
    fallback: bool
    elasticity: float | None
    elasticity_source: str | None = Field(
        None, description="Where the elasticity came from, as in /recommend."
    )
    points: list[SimulatedPoint]


def _item(answer: dict[str, Any]) -> Recommendation | ItemError:
    if "error" in answer:
        return ItemError.model_construct(**answer)
    rails = Guardrails.model_construct(**answer["guardrails_applied"])
    drivers = [Driver.model_construct(**d) for d in answer.get("drivers", ())]
    return Recommendation.model_construct(
        **{**answer, "guardrails_applied": rails, "drivers": drivers}
    )


def recommend_response(result: dict[str, Any]) -> RecommendResponse:
    items = [_item(answer) for answer in result["items"]]
    return RecommendResponse.model_construct(request_id=result["request_id"], items=items)


def simulate_response(result: dict[str, Any]) -> SimulateResponse:
    points = [SimulatedPoint.model_construct(**p) for p in result["points"]]
    rails = Guardrails.model_construct(**result["guardrails_applied"])
    return SimulateResponse.model_construct(
        **{**result, "guardrails_applied": rails, "points": points}
    )


class ForecastPoint(BaseModel):
    date: str = Field(description="Start of the period (ISO date).")
    price: float = Field(description="The planned price of the period.")
    expected_units: float | None = Field(
        description="Median units (the q50 quantile); null where the price response is not "
        "trusted at this price (trusted: false)."
    )
    q10: float | None = Field(
        description="10% quantile: the demand model's at ref_price times the response's mean "
        "ratio (the response's own spread is not added); null where not trusted."
    )
    q50: float | None
    q90: float | None = Field(description="90% quantile, as q10; null where not trusted.")
    response_confidence: ResponseConfidence
    trusted: Trusted = True
    trust_reason: TrustReason = None


class ForecastResponse(BaseModel):
    product_id: str
    location_id: str
    horizon: int
    ref_price: float = Field(
        description="The price the demand model forecast at (the one the published forecast "
        "holds at); each period's quantiles are scaled by the price response from it to the "
        "period's planned price, as /simulate scales the published forecast."
    )
    points: list[ForecastPoint]
    model_version: dict[str, str] = Field(description="bento and demand model tags.")
    history_end: str = Field(description="End of the last period of history the model read.")
    history_age_periods: float = Field(
        description="How old that history is at the service's as-of, in periods: forecasts "
        "from a bento served long after its build rest on history that old."
    )
    as_of: str


def forecast_response(result: dict[str, Any]) -> ForecastResponse:
    points = [ForecastPoint.model_construct(**p) for p in result["points"]]
    return ForecastResponse.model_construct(**{**result, "points": points})
