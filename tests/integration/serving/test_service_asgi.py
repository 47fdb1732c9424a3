"""The BentoML service in process (ASGI): contracts, errors, health, OpenAPI."""

from __future__ import annotations

import importlib
import sys

import pytest
from starlette.testclient import TestClient

from pricing.settings import get_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def client(trained_home):
    """One app per module: BentoML registers its Prometheus metrics once per process."""
    home, bentoml_home = trained_home
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRICING_HOME", str(home))
        patch.setenv("BENTOML_HOME", str(bentoml_home))
        get_settings.cache_clear()
        sys.modules.pop("pricing_bentos.service", None)  # the module pins models at import
        service = importlib.import_module("pricing_bentos.service")
        with TestClient(service.Pricing.to_asgi()) as test_client:
            yield test_client
    get_settings.cache_clear()


def test_recommend_simulate_metadata(client):
    answer = client.post("/recommend", json={"items": [{"product_id": "P0001"}]})
    assert answer.status_code == 200, answer.text
    item = answer.json()["items"][0]
    for key in (
        "product_id", "location_id", "recommended_price", "confidence", "current_price",
        "competitor_price", "expected_units", "expected_revenue", "elasticity",
        "guardrails_applied", "explanation", "model_version",
    ):  # fmt: skip
        assert key in item, key
    assert set(item["model_version"]) >= {"bento", "elasticity", "agent", "forecast", "snapshot"}
    what_if = client.post("/simulate", json={"item": {"product_id": "P0001"}, "prices": [2, 3]})
    assert what_if.status_code == 200, what_if.text
    assert [p["price"] for p in what_if.json()["points"]] == [2.0, 3.0]
    meta = client.post("/metadata", json={}).json()
    assert meta["feature_services"]["serving"] == "pricing_serving_v2"  # v1 + realtime
    assert meta["versions"]["snapshot"].startswith("snap_")
    assert "default" in meta["guardrails"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    paths = client.get("/docs.json").json()["paths"]
    assert {"/recommend", "/simulate", "/metadata"} <= set(paths)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"product_id": "P0001", "competitor_price": -3}]}, "competitor_price"),
        ({"items": [{"product_id": "P0001", "inventory": "lots"}]}, "inventory"),
        ({"items": []}, "items"),
        ({"items": [{"sku": "P0001"}]}, "product_id"),
        ({}, "items"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(client, body, field):
    answer = client.post("/recommend", json=body)
    assert 400 <= answer.status_code < 500
    assert field in answer.text


def test_malformed_json_is_a_400(client):
    answer = client.post(
        "/recommend", content=b'{"items": [', headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400


def test_unknown_product_is_an_item_error_and_simulate_404(client):
    items = [{"product_id": "X"}, {"product_id": "P0002"}]
    answer = client.post("/recommend", json={"items": items})
    first, second = answer.json()["items"]
    assert answer.status_code == 200 and "unknown product_id" in first["error"]
    assert second["recommended_price"] > 0
    missing = client.post("/simulate", json={"item": {"product_id": "X"}, "prices": [1.0]})
    assert missing.status_code == 404 and "unknown product_id" in missing.text
    bad = client.post("/simulate", json={"item": {"product_id": "P0001"}, "prices": [1.0, -1]})
    assert bad.status_code == 400 and "prices" in bad.text
