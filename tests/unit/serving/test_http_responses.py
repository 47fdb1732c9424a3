"""The response models document the new fields, so the service's OpenAPI shows them."""

from __future__ import annotations

from pricing.serving.http_responses import Recommendation, SimulatedPoint, SimulateResponse


def test_openapi_says_why_a_price_is_not_allowed() -> None:
    reason = SimulatedPoint.model_json_schema()["properties"]["reason"]
    assert "nearest allowed prices" in reason["description"]
    assert (
        "extrapolated"
        in SimulatedPoint.model_json_schema()["properties"]["response_confidence"]["description"]
    )


def test_openapi_names_where_the_elasticity_came_from() -> None:
    for model in (Recommendation, SimulateResponse):
        field = model.model_json_schema()["properties"]["elasticity_source"]
        assert "pooled_prior" in field["description"] or "/recommend" in field["description"]
    assert "caps the confidence" in str(
        Recommendation.model_fields["elasticity_source"].description
    )
