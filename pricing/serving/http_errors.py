"""One error shape for every 4xx of the service: ``{"error": message, "detail": [{"type",
"loc", "msg"}]}``, the message naming the field or the limit.

The endpoints answer in it already; BentoML's own answers do not (pydantic's ``1 validation
error for Input``, an exception's message wrapped in a list, Starlette's plain-text 404 and
405), so ``bentos/middleware.py`` rewrites them with :func:`rewrite_error`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

#: Invalid fields one message names; the rest are counted ("and 2 more"), all are in detail.
NAMED_FIELDS = 3
DETAIL_KEYS = ("type", "loc", "msg")
_UNNAMED = re.compile(r"^\d+ validation errors? for ")  # pydantic's title, names no field


def error_kind(status: int) -> str:
    """``413`` -> ``request_entity_too_large``: the ``type`` of a non-validation error."""
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def error_body(status: int, message: str, loc: Sequence[str | int] = ()) -> dict[str, Any]:
    """The service's error shape for one problem."""
    return {
        "error": message,
        "detail": [{"type": error_kind(status), "loc": list(loc), "msg": message}],
    }


def field_path(loc: Sequence[str | int]) -> str:
    """``["items", 0, "inventory"]`` -> ``items[0].inventory``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validation_message(detail: Sequence[Mapping[str, Any]]) -> str:
    """One sentence naming each invalid field (at most :data:`NAMED_FIELDS`, then a count)."""
    parts = []
    for error in detail[:NAMED_FIELDS]:
        where = field_path(error.get("loc") or [])
        parts.append(f"{where}: {error.get('msg')}" if where else f"body: {error.get('msg')}")
    more = len(detail) - NAMED_FIELDS
    return "invalid " + "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _plain_message(status: int, text: str, method: str, path: str) -> str:
    if status == HTTPStatus.NOT_FOUND:
        return f"no endpoint at {path}"
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        return f"{method} is not allowed on {path}"
    return f"{HTTPStatus(status).phrase}: {text.strip()[:200]}" if text.strip() else f"{status}"


def rewrite_error(
    status: int, body: bytes, content_type: str, method: str, path: str
) -> dict[str, Any] | None:
    """A 4xx body in the service's shape, naming what was wrong; None when it already is."""
    if not content_type.startswith("application/json"):
        text = body.decode("utf-8", "replace")
        return error_body(status, _plain_message(status, text, method, path))
    try:
        data = json.loads(body)
    except ValueError:
        return error_body(
            status, _plain_message(status, body.decode("utf-8", "replace"), method, path)
        )
    if isinstance(data, list) and len(data) == 1:  # BentoML: {"error": ...} wrapped in a tuple
        data = data[0]
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return error_body(status, f"{HTTPStatus(status).phrase}: {json.dumps(data)[:200]}")
    detail = data.get("detail")
    if not isinstance(detail, list) or not all(isinstance(d, dict) for d in detail):
        return error_body(status, data["error"])
    if detail and _UNNAMED.match(data["error"]):  # pydantic's: name the fields instead
        cleaned = [{key: d.get(key) for key in DETAIL_KEYS} for d in detail]
        return {"error": validation_message(cleaned), "detail": cleaned}
    if all(set(d) == set(DETAIL_KEYS) for d in detail) and detail:
        return None
    return error_body(status, data["error"])
