"""ASGI middleware of the pricing service (registered in ``service.py``; the rules live in
``pricing.serving.access``, ``http_errors`` and ``openapi``).

BentoML places these outside its own CORS middleware, so CORS, when configured, is
Starlette's registered first (outermost): preflights are answered before the key is asked
for, and the 401s and 413s below carry the CORS headers a browser needs to read them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pricing.serving.access import (
    CHALLENGE,
    body_error,
    is_open,
    key_digest,
    key_matches,
    unauthorized_message,
)
from pricing.serving.config import ServiceSettings, cors_options
from pricing.serving.http_errors import error_body, rewrite_error
from pricing.serving.openapi import honest_openapi

if TYPE_CHECKING:
    from bentoml import Service

    from pricing.settings import Settings

DOCS = "/docs.json"
_REPLACED = {b"content-type", b"content-length"}  # of a rewritten error


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def too_large(message: str, field: str) -> Any:
    """The 413 an endpoint returns for a list longer than its limit (returned, not raised:
    BentoML would wrap a raised message in a list)."""
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    return JSONResponse(error_body(status, message, [field]), status_code=status)


async def _send_json(
    send: Send, status: int, payload: bytes, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    start = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": [*start, *headers]})
    await send({"type": "http.response.body", "body": payload})


async def _send_error(
    send: Send, status: HTTPStatus, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    await _send_json(send, status, json.dumps(error_body(status, message)).encode(), headers)


class AccessMiddleware:
    """401 without the API key (when one is set), 413 for a body over the limit: both before
    anything reads the body. ``key_digest`` is the key's SHA-256 (the key itself never gets
    here), None for an open service."""

    def __init__(self, app: ASGIApp, key_digest: bytes | None, max_body_bytes: int) -> None:
        self.app = app
        self.digest = key_digest
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.digest is not None and not is_open(scope["path"]):
            header = _header(scope, b"authorization")
            if not key_matches(header, self.digest):
                message = unauthorized_message(header)
                challenge = [(b"www-authenticate", CHALLENGE)]
                await _send_error(send, HTTPStatus.UNAUTHORIZED, message, challenge)
                return
        length = _header(scope, b"content-length")
        if length is not None:  # the HTTP parser holds the body to it: no counting needed
            declared = int(length) if length.isdigit() else 0
            if declared > self.limit:
                await self._too_large(send, declared)
                return
            await self.app(scope, receive, send)
            return
        await self._streamed(scope, receive, send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body of unknown length (chunked): read up to the limit, then hand it on whole."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await self._too_large(send, None)
                return
            if not message.get("more_body", False):
                break
        whole: Message | None = {"type": "http.request", "body": b"".join(chunks)}

        async def replay() -> Message:
            nonlocal whole
            if whole is not None:
                message, whole = whole, None
                return message
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, declared: int | None) -> None:
        message = body_error(self.limit, declared)
        await _send_error(send, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, message)


class ResponseMiddleware:
    """BentoML's and Starlette's own 4xx bodies in the service's error shape, and
    ``/docs.json`` as the service really answers. Other responses pass untouched."""

    def __init__(self, app: ASGIApp, service: ServiceSettings, key_required: bool) -> None:
        self.app = app
        self.service = service
        self.key_required = key_required
        self.docs: bytes | None = None  # the amended document, made once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] == DOCS and scope["method"] == "GET"
        if docs and self.docs is not None:
            await _send_json(send, 200, self.docs)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def send_shaped(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                status = message["status"]
                if 400 <= status < 500 or (docs and status == 200):
                    held = message
                    return
                await send(message)
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._finish(scope, send, held, b"".join(chunks))

        await self.app(scope, receive, send_shaped)

    async def _finish(self, scope: Scope, send: Send, start: Message, body: bytes) -> None:
        status = start["status"]
        if status == 200:  # the OpenAPI document
            document = honest_openapi(json.loads(body), self.service, self.key_required)
            self.docs = json.dumps(document).encode()
            await _send_json(send, 200, self.docs)
            return
        headers = {k.lower(): v for k, v in start.get("headers", [])}
        kind = headers.get(b"content-type", b"").decode("latin-1")
        shaped = rewrite_error(status, body, kind, scope["method"], scope["path"])
        if shaped is None:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in _REPLACED]
        await _send_json(send, status, json.dumps(shaped).encode(), kept)


def guard(service: Service[Any], settings: Settings) -> None:
    """Register the middleware on ``service``, outermost first: CORS (when origins are
    configured), the key and body-size checks, the error shape. Raises ValueError for an empty
    PRICING_API_KEY (serving open by mistake is worse than not serving)."""
    if (cors := cors_options(settings.service)) is not None:
        service.add_asgi_middleware(CORSMiddleware, **cors)
    limit = settings.service.max_body_bytes
    digest = key_digest(settings.api_key)
    service.add_asgi_middleware(AccessMiddleware, key_digest=digest, max_body_bytes=limit)
    required = digest is not None
    service.add_asgi_middleware(ResponseMiddleware, service=settings.service, key_required=required)
