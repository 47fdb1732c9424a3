"""Access control and limits: the key check, the limit messages, BentoML's 4xx bodies in the
service's shape, the honest OpenAPI document, and the middleware on a small ASGI app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from pricing.serving.access import (
    auth_headers,
    body_error,
    count_error,
    is_open,
    key_digest,
    key_matches,
    unauthorized_message,
)
from pricing.serving.config import ServiceSettings, bentoml_options, cors_options
from pricing.serving.http_errors import rewrite_error, validation_message
from pricing.serving.openapi import honest_openapi
from pricing.serving.process import serve_command_line
from pricing.settings import Settings
from pricing.streaming.config import KafkaSettings
from pricing_bentos.middleware import AccessMiddleware, ResponseMiddleware

KEY = "s3cret-key-123"
DIGEST = key_digest(SecretStr(KEY))


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (b"Bearer s3cret-key-123", True),
        (b"bearer s3cret-key-123", True),
        (b"  Bearer   s3cret-key-123 ", True),
        (b"Bearer s3cret-key-12", False),
        (b"Bearer s3cret-key-1234", False),
        (b"Basic s3cret-key-123", False),
        (b"s3cret-key-123", False),
        (b"Bearer ", False),
        (None, False),
    ],
)
def test_only_the_bearer_key_matches(header, ok):
    assert DIGEST is not None
    assert key_matches(header, DIGEST) is ok


def test_no_key_means_an_open_service_and_an_empty_key_is_refused():
    assert key_digest(None) is None
    for bad in ("", "   ", " padded "):
        with pytest.raises(ValueError, match="PRICING_API_KEY"):
            key_digest(SecretStr(bad))


def test_clients_send_the_key_only_when_set():
    assert auth_headers(None) == {}
    assert auth_headers(SecretStr(KEY)) == {"Authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize("header", [None, b"Token abc", b"Bearer wrong-token-value"])
def test_refusals_never_repeat_what_was_sent(header):
    message = unauthorized_message(header)
    assert "Authorization" in message
    assert "abc" not in message and "wrong-token-value" not in message


def test_the_printed_serve_line_passes_secrets_on_without_spelling_them(tmp_path, monkeypatch):
    monkeypatch.delenv("PRICING_API_KEY", raising=False)
    kafka = KafkaSettings(
        bootstrap_servers="kafka:9092", sasl_username="u", sasl_password=SecretStr("kafka-pw")
    )
    settings = Settings(home=tmp_path, api_key=SecretStr(KEY), kafka=kafka)
    line = serve_command_line(settings, "pricing:v1")
    assert KEY not in line and "kafka-pw" not in line
    assert 'PRICING_API_KEY="$PRICING_API_KEY"' in line
    assert 'PRICING_KAFKA__SASL_PASSWORD="$PRICING_KAFKA__SASL_PASSWORD"' in line
    assert "kafka:9092" in line  # the rest of the Kafka settings as before
    assert "PRICING_API_KEY" not in serve_command_line(Settings(home=tmp_path), "pricing:v1")


def test_health_and_docs_are_open_the_endpoints_are_not():
    for path in ("/healthz", "/readyz", "/livez", "/docs.json", "/", "/static_content/x.js"):
        assert is_open(path), path
    for path in ("/recommend", "/simulate", "/metadata", "/forecast", "/metrics", "/healthz/x"):
        assert not is_open(path), path


def test_count_limits_come_from_settings_and_name_count_limit_and_setting():
    service = ServiceSettings(max_items=5, max_prices=3)
    assert count_error(service, "/recommend", "items", 5) is None
    message = count_error(service, "/recommend", "items", 6)
    assert message == (
        "too many items: 6 in one request, the limit is 5 (PRICING_SERVICE__MAX_ITEMS)"
    )
    assert "limit is 3" in str(count_error(service, "/simulate", "prices", 4))
    assert count_error(service, "/metadata", "items", 10**6) is None  # not a bounded field


def test_body_limit_message_names_size_and_setting():
    assert body_error(1024, 5000) == (
        "request body too large: 5,000 bytes, over the limit of 1,024 bytes "
        "(PRICING_SERVICE__MAX_BODY_BYTES)"
    )
    assert "over the limit of 1,024 bytes" in body_error(1024)


def test_bentoml_options_and_cors_follow_the_settings():
    default = ServiceSettings()
    assert bentoml_options(default) == {
        "workers": 1,
        "metrics": {"enabled": False},
        "tracing": {"excluded_urls": [".*"]},
    }
    on = bentoml_options(ServiceSettings(workers=3, metrics=True, tracing=True))
    assert on == {"workers": 3, "metrics": {"enabled": True}, "tracing": {"sample_rate": 1.0}}
    assert cors_options(default) is None
    cors = cors_options(ServiceSettings(cors_origins=("https://shop.example",)))
    assert cors is not None and cors["allow_origins"] == ["https://shop.example"]
    assert "Authorization" in cors["allow_headers"]


PYDANTIC_400 = {
    "error": "2 validation error for Input",
    "detail": [
        {"type": "greater_than_equal", "loc": ["items", 0, "inventory"], "msg": "Input should "
         "be greater than or equal to 0", "url": "https://errors.pydantic.dev/x"},
        {"type": "missing", "loc": ["items", 1, "product_id"], "msg": "Field required",
         "url": "https://errors.pydantic.dev/y"},
    ],
}  # fmt: skip


def _rewrite(status: int, body: Any, kind: str = "application/json") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return rewrite_error(status, raw, kind, "POST", "/recommend")


def test_bentoml_validation_errors_name_each_field():
    shaped = _rewrite(400, PYDANTIC_400)
    assert shaped["error"] == (
        "invalid items[0].inventory: Input should be greater than or equal to 0; "
        "items[1].product_id: Field required"
    )
    assert [d["loc"] for d in shaped["detail"]] == [
        ["items", 0, "inventory"],
        ["items", 1, "product_id"],
    ]
    assert all(set(d) == {"type", "loc", "msg"} for d in shaped["detail"])


def test_many_invalid_fields_are_named_then_counted():
    detail = [
        {"type": "missing", "loc": ["items", i, "product_id"], "msg": "Field required"}
        for i in range(5)
    ]
    many = {"error": "5 validation errors for Input", "detail": detail}
    assert _rewrite(400, many)["error"].endswith("(and 2 more)")
    assert validation_message([{"type": "json_invalid", "loc": [], "msg": "Invalid JSON"}]) == (
        "invalid body: Invalid JSON"
    )


def test_other_bentoml_and_starlette_bodies_get_the_shape():
    wrapped = _rewrite(415, [{"error": "application/vnd.bentoml+pickle is not allowed"}])
    assert wrapped["error"] == "application/vnd.bentoml+pickle is not allowed"
    assert wrapped["detail"][0]["type"] == "unsupported_media_type"
    assert _rewrite(404, b"Not Found", "text/plain")["error"] == "no endpoint at /recommend"
    assert _rewrite(405, b"Method Not Allowed", "text/plain")["error"] == (
        "POST is not allowed on /recommend"
    )
    ours = {"error": "unknown product_id 'X'", "detail": [{"type": "not_found", "loc": ["item"],
            "msg": "unknown product_id 'X'"}]}  # fmt: skip
    assert _rewrite(404, ours) is None  # already in shape: passed through


def _bentoml_like_document() -> dict[str, Any]:
    """The parts of BentoML 1.4's /docs.json that honest_openapi changes."""
    error = {"description": "Bad Request", "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/InvalidArgument"}}}}  # fmt: skip
    body = {"content": {"application/json": {"schema": {
        "type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "minItems": 1, "items": {}}},
    }}}}  # fmt: skip
    api = {"x-bentoml-name": "recommend", "requestBody": body,
           "responses": {"200": {"description": "ok"}, "400": error}}  # fmt: skip
    probe = {"get": {"responses": {"200": {"description": "ok"}}}}
    return {
        "openapi": "3.0.2",
        "paths": {"/recommend": {"post": api}, "/healthz": probe, "/metrics": probe},
        "components": {"schemas": {"InvalidArgument": {}, "NotFound": {}, "Item": {}}},
    }


def test_the_openapi_document_states_limits_errors_and_the_key():
    original = _bentoml_like_document()
    doc = honest_openapi(original, ServiceSettings(max_items=7), key_required=True)
    assert doc["openapi"] == "3.1.0"  # pydantic's JSON Schema 2020-12 is 3.1's dialect
    post = doc["paths"]["/recommend"]["post"]
    assert post["requestBody"]["required"] is True
    items = post["requestBody"]["content"]["application/json"]["schema"]["properties"]["items"]
    assert items["maxItems"] == 7
    assert {"400", "401", "404", "413", "422", "500"} <= set(post["responses"])
    assert post["responses"]["413"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert post["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "security" not in doc["paths"]["/healthz"]["get"]
    assert "/metrics" not in doc["paths"]  # metrics off by default
    assert set(doc["components"]["schemas"]) == {"Item", "Error"}
    assert original["openapi"] == "3.0.2"  # the input is left alone


def test_an_open_service_documents_no_key_and_kept_metrics():
    doc = honest_openapi(_bentoml_like_document(), ServiceSettings(metrics=True), False)
    assert "securitySchemes" not in doc["components"]
    assert "401" not in doc["paths"]["/recommend"]["post"]["responses"]
    assert "/metrics" in doc["paths"]


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"bytes": len(await request.body())})


async def _invalid(request: Request) -> JSONResponse:
    return JSONResponse(PYDANTIC_400, status_code=400)


async def _docs(request: Request) -> JSONResponse:
    return JSONResponse(_bentoml_like_document())


@pytest.fixture
def guarded() -> TestClient:
    routes = [
        Route("/recommend", _echo, methods=["POST"]),
        Route("/invalid", _invalid, methods=["POST"]),
        Route("/healthz", lambda _: PlainTextResponse("ok")),
        Route("/docs.json", _docs),
    ]
    app: Any = Starlette(routes=routes)
    app = ResponseMiddleware(app, ServiceSettings(max_items=9), key_required=True)
    app = AccessMiddleware(app, key_digest=DIGEST, max_body_bytes=1024)
    return TestClient(app)


AUTH = {"Authorization": f"Bearer {KEY}"}


def test_the_middleware_asks_for_the_key_except_on_health_and_docs(guarded):
    refused = guarded.post("/recommend", content=b"{}")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.json()["detail"][0]["type"] == "unauthorized"
    wrong = guarded.post("/recommend", content=b"{}", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "nope" not in wrong.text
    assert guarded.post("/recommend", content=b"{}", headers=AUTH).json() == {"bytes": 2}
    assert guarded.get("/healthz").status_code == 200
    docs = guarded.get("/docs.json").json()
    assert docs["openapi"] == "3.1.0" and docs["paths"]["/recommend"]["post"]["security"]


def test_a_body_over_the_limit_is_refused_declared_or_streamed(guarded):
    declared = guarded.post("/recommend", content=b"x" * 1025, headers=AUTH)
    assert declared.status_code == 413 and "1,025 bytes" in declared.json()["error"]
    streamed = guarded.post("/recommend", content=iter([b"x" * 600, b"x" * 600]), headers=AUTH)
    assert streamed.status_code == 413 and "limit of 1,024 bytes" in streamed.json()["error"]
    small = guarded.post("/recommend", content=iter([b"x" * 500, b"x" * 500]), headers=AUTH)
    assert small.json() == {"bytes": 1000}  # a chunked body within the limit arrives whole


def test_the_middleware_rewrites_framework_4xx_bodies(guarded):
    invalid = guarded.post("/invalid", headers=AUTH)
    assert invalid.status_code == 400 and invalid.json()["error"].startswith("invalid items[0]")
    assert int(invalid.headers["content-length"]) == len(invalid.content)
    missing = guarded.post("/nowhere", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"] == "no endpoint at /nowhere"
