"""Who may call the pricing service and how much one request may ask (``bentos/middleware.py``
and the endpoints apply it).

The key is compared in constant time, as SHA-256 digests so that not even its length shows
in the timing; no message here ever contains the key or the token a client sent.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

from pricing.serving.config import ServiceSettings

#: Paths answered without the key: BentoML's probes, the OpenAPI document and its docs UI.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/livez", "/docs.json", "/"})
OPEN_PREFIXES = ("/static_content/",)  # the docs UI's scripts and styles

#: Request fields whose length a setting bounds, per route: (route, field) -> ServiceSettings
#: attribute. The endpoints check them (413) and the OpenAPI document states them (maxItems).
COUNT_LIMITS = {("/recommend", "items"): "max_items", ("/simulate", "prices"): "max_prices"}

CHALLENGE = b'Bearer realm="pricing"'  # WWW-Authenticate of every 401


def is_open(path: str) -> bool:
    """Whether ``path`` is answered without the API key."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def key_digest(key: SecretStr | None) -> bytes | None:
    """What :func:`key_matches` compares against, computed once at start-up (None: no key,
    the service is open). An empty key is refused rather than taken as none."""
    if key is None:
        return None
    value = key.get_secret_value()
    if not value.strip() or value != value.strip():
        raise ValueError(
            "PRICING_API_KEY is empty or has surrounding spaces: set a key, or unset it to "
            "serve without one"
        )
    return hashlib.sha256(value.encode()).digest()


def auth_headers(key: SecretStr | None) -> dict[str, str]:
    """The headers a client of the service sends: the key as a bearer token, when one is set."""
    return {} if key is None else {"Authorization": f"Bearer {key.get_secret_value()}"}


def bearer_token(header: bytes | None) -> bytes | None:
    """The token of an ``Authorization: Bearer TOKEN`` header (scheme case-insensitive)."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" and token.strip() else None


def key_matches(header: bytes | None, digest: bytes) -> bool:
    """Whether the ``Authorization`` header carries the key whose digest is ``digest``."""
    token = bearer_token(header)
    sent = hashlib.sha256(token or b"").digest()
    return hmac.compare_digest(sent, digest) and token is not None


def unauthorized_message(header: bytes | None) -> str:
    """Why a request was refused, without repeating what it sent."""
    if header is None:
        return "missing Authorization header: this service requires `Authorization: Bearer <key>`"
    if bearer_token(header) is None:
        return "Authorization header is not `Bearer <key>`"
    return "wrong API key in the Authorization header"


def count_limit(service: ServiceSettings, route: str, field: str) -> int | None:
    """The most entries ``field`` of a ``route`` request may have (None: not bounded)."""
    name = COUNT_LIMITS.get((route, field))
    return None if name is None else int(getattr(service, name))


def count_error(service: ServiceSettings, route: str, field: str, count: int) -> str | None:
    """The 413 message when a request's ``field`` has more entries than allowed, else None."""
    limit = count_limit(service, route, field)
    if limit is None or count <= limit:
        return None
    setting = f"PRICING_SERVICE__{COUNT_LIMITS[route, field].upper()}"
    return f"too many {field}: {count:,} in one request, the limit is {limit:,} ({setting})"


def body_error(limit: int, declared: int | None = None) -> str:
    """The 413 message of a body over ``limit`` bytes: ``declared`` by its Content-Length, or
    (None) found longer while it streamed in."""
    size = f"{declared:,} bytes, over" if declared is not None else "over"
    setting = "PRICING_SERVICE__MAX_BODY_BYTES"
    return f"request body too large: {size} the limit of {limit:,} bytes ({setting})"
