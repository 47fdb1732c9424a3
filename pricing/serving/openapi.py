"""The service's OpenAPI document as the service really answers (``/docs.json``).

BentoML 1.4 writes ``openapi: 3.0.2`` over pydantic's JSON Schema 2020-12 (``exclusiveMinimum:
0.0``, ``type: "null"``: 3.1's dialect, which 3.0 readers reject), gives its errors a string
``detail`` while they carry a list, never marks a body required, lists ``/metrics`` when
metrics are off, and knows nothing of the key and the limits. :func:`honest_openapi` fixes
each, so that clients and the fuzzer (``pricing bench fuzz``) can trust the document.
"""

from __future__ import annotations

import copy
from typing import Any

from pricing.serving.access import count_limit
from pricing.serving.config import ServiceSettings

ERROR = "#/components/schemas/Error"
ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "description": "Every error: the message names the field or the limit; detail lists each.",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "loc", "msg"],
                "properties": {
                    "type": {"type": "string"},
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}
#: Answers of every service endpoint besides 200, each in the :data:`ERROR_SCHEMA` shape.
ERRORS = {
    "400": "Invalid request: the message names each invalid field.",
    "404": "Unknown product or location.",
    "413": "Too many entries in a list, or a body over PRICING_SERVICE__MAX_BODY_BYTES.",
    "422": "A valid request that cannot be answered (e.g. no features for the item).",
    "500": "Unexpected error (see the service log).",
    "503": "A service this one depends on (the online store, the forecaster) did not answer "
    "in time: ask again.",
}
UNAUTHORIZED = "Missing or wrong `Authorization: Bearer <key>` (PRICING_API_KEY)."
BEARER = {"bearer": {"type": "http", "scheme": "bearer"}}
REPLACED = ("InvalidArgument", "NotFound", "InternalServerError")  # BentoML's error schemas


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR}}},
    }


def _bound_lists(route: str, body: dict[str, Any], service: ServiceSettings) -> None:
    """State the count limits of ``route`` as maxItems (the endpoint answers 413 past them)."""
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    for field, spec in schema.get("properties", {}).items():
        if (limit := count_limit(service, route, field)) is not None:
            spec["maxItems"] = limit
            spec["description"] = f"At most {limit:,} (else 413)."
    body["required"] = bool(schema.get("required"))


#: Request rules a field-by-field schema cannot say, per route: /forecast takes its planned
#: prices as ``prices`` or one ``price``, exactly one of them.
ALTERNATIVES = {
    "/forecast": [
        {"required": ["prices"], "not": {"required": ["price"]}},
        {"required": ["price"], "not": {"required": ["prices"]}},
    ]
}


def _alternatives(route: str, body: dict[str, Any]) -> None:
    if (choices := ALTERNATIVES.get(route)) is not None:
        schema = body.get("content", {}).get("application/json", {}).get("schema", {})
        schema["oneOf"] = choices


def honest_openapi(
    document: dict[str, Any], service: ServiceSettings, key_required: bool
) -> dict[str, Any]:
    """``document`` (BentoML's) amended to what this service accepts and answers."""
    doc = copy.deepcopy(document)
    doc["openapi"] = "3.1.0"
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in REPLACED:
        schemas.pop(name, None)
    schemas["Error"] = ERROR_SCHEMA
    if key_required:
        doc["components"]["securitySchemes"] = BEARER
    paths = doc.get("paths", {})
    if not service.metrics:
        paths.pop("/metrics", None)
    for route, item in paths.items():
        for operation in item.values():
            is_api = "x-bentoml-name" in operation
            if is_api:
                responses = {"200": operation["responses"]["200"]}
                responses |= {code: _error(text) for code, text in ERRORS.items()}
                operation["responses"] = responses
                _bound_lists(route, operation.get("requestBody", {}), service)
                _alternatives(route, operation.get("requestBody", {}))
            if key_required and (is_api or route == "/metrics"):
                operation["security"] = [{"bearer": []}]
                operation["responses"]["401"] = _error(UNAUTHORIZED)
    return doc
