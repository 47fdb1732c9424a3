"""Access control and limits on a real `bentoml serve`: the key on every endpoint but health
and docs, 413s for too many items, prices or bytes, CORS off unless configured, and the key
in no log and no printed command line."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from pricing.serving.config import ServiceSettings
from pricing.serving.process import service_environment, service_process
from pricing.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY = f"it-{secrets.token_hex(16)}"
WRONG = f"not-{secrets.token_hex(8)}"
ORIGIN = "https://shop.example"
TARGET = "pricing_bentos.service:Pricing"
LIMITS = ServiceSettings(max_items=5, max_prices=3, max_body_bytes=2048)
AUTH = {"Authorization": f"Bearer {KEY}"}
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization,content-type"}  # fmt: skip


def _settings(trained_home: tuple[Path, Path], service: ServiceSettings) -> Settings:
    home, bentoml_home = trained_home
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BENTOML_HOME", str(bentoml_home))
        return Settings(home=home, api_key=SecretStr(KEY), service=service)


@pytest.fixture(scope="module")
def guarded(trained_home, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A service with the key and small limits (CORS left off): its URL and log file."""
    log = tmp_path_factory.mktemp("access") / "serve.log"
    env = service_environment(_settings(trained_home, LIMITS))
    with service_process(TARGET, env, log) as (url, _):
        yield url, log


def _items(count: int) -> dict[str, list[dict[str, str]]]:
    return {"items": [{"product_id": "P0001"}] * count}


def test_every_endpoint_but_health_and_docs_needs_the_key(guarded):
    url, _ = guarded
    bodies = {"/recommend": _items(1), "/metadata": {},
              "/simulate": {"item": {"product_id": "P0001"}, "prices": [1.5]}}  # fmt: skip
    for path, body in bodies.items():
        missing = httpx.post(f"{url}{path}", json=body)
        assert missing.status_code == 401, (path, missing.text)
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert "Authorization" in missing.json()["error"]
        wrong = httpx.post(f"{url}{path}", json=body, headers={"Authorization": f"Bearer {WRONG}"})
        assert wrong.status_code == 401 and WRONG not in wrong.text
        assert httpx.post(f"{url}{path}", json=body, headers=AUTH).status_code == 200, path
    priced = httpx.post(f"{url}/recommend", json=_items(1), headers=AUTH).json()["items"][0]
    assert priced["recommended_price"] > 0
    for probe in ("/healthz", "/readyz", "/livez", "/docs.json"):
        assert httpx.get(f"{url}{probe}").status_code == 200, probe
    assert httpx.get(f"{url}/metrics").status_code == 401  # not a probe: behind the key
    assert httpx.get(f"{url}/metrics", headers=AUTH).status_code == 404  # and off by default


def test_limits_come_from_settings_and_answer_413(guarded):
    url, _ = guarded

    def post(path: str, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
        return httpx.post(f"{url}{path}", headers={**AUTH, **(headers or {})}, **body)

    assert post("/recommend", json=_items(5)).status_code == 200
    many = post("/recommend", json=_items(6))
    assert many.status_code == 413
    assert many.json()["error"] == (
        "too many items: 6 in one request, the limit is 5 (PRICING_SERVICE__MAX_ITEMS)"
    )
    item = {"product_id": "P0001"}
    assert post("/simulate", json={"item": item, "prices": [1.0, 2.0, 3.0]}).status_code == 200
    prices = post("/simulate", json={"item": item, "prices": [1.0, 2.0, 3.0, 4.0]})
    assert prices.status_code == 413 and "limit is 3" in prices.json()["error"]
    big = json.dumps({"items": [{"product_id": "P" * 3000}]}).encode()
    declared = post("/recommend", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413  # refused before parsing: else a 400 for the id's length
    assert f"{len(big):,} bytes, over the limit of 2,048" in declared.json()["error"]
    chunks = iter([big[:1500], big[1500:]])  # no Content-Length: sent chunked
    streamed = post("/recommend", content=chunks, headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and "2,048 bytes" in streamed.json()["error"]
    document = httpx.get(f"{url}/docs.json").json()
    schema = document["paths"]["/recommend"]["post"]["requestBody"]["content"]
    assert schema["application/json"]["schema"]["properties"]["items"]["maxItems"] == 5
    assert "413" in document["paths"]["/simulate"]["post"]["responses"]


def test_cors_preflight_is_refused_by_default(guarded):
    url, _ = guarded
    answer = httpx.options(f"{url}/recommend", headers=PREFLIGHT)
    assert answer.status_code >= 400
    assert "access-control-allow-origin" not in answer.headers


def test_a_configured_origin_may_call_from_a_browser(trained_home, tmp_path):
    service = LIMITS.model_copy(update={"cors_origins": (ORIGIN,)})
    env = service_environment(_settings(trained_home, service))
    with service_process(TARGET, env, tmp_path / "serve.log") as (url, _):
        preflight = httpx.options(f"{url}/recommend", headers=PREFLIGHT)
        assert preflight.status_code == 200  # answered before the key is asked for
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        stranger = httpx.options(
            f"{url}/recommend", headers={**PREFLIGHT, "Origin": "https://elsewhere.example"}
        )
        assert "access-control-allow-origin" not in stranger.headers
        called = httpx.post(f"{url}/recommend", json=_items(1), headers={**AUTH, "Origin": ORIGIN})
        assert called.status_code == 200
        assert called.headers["access-control-allow-origin"] == ORIGIN
        refused = httpx.post(f"{url}/recommend", json=_items(1), headers={"Origin": ORIGIN})
        assert refused.status_code == 401  # and readable by the page: CORS headers on it too
        assert refused.headers["access-control-allow-origin"] == ORIGIN


def test_the_key_is_in_no_log(guarded):
    url, log = guarded
    httpx.post(f"{url}/recommend", json={"items": [{"inventory": -1}]}, headers=AUTH)  # logged
    httpx.post(f"{url}/recommend", content=b"{", headers=AUTH)
    httpx.post(f"{url}/recommend", json=_items(1), headers={"Authorization": f"Bearer {WRONG}"})
    text = log.read_text()
    assert "Exception on /recommend" in text  # BentoML did log the invalid requests
    assert KEY not in text and WRONG not in text


def test_pricing_build_prints_and_packs_no_key(served):
    settings = served.model_copy(update={"api_key": SecretStr(KEY)})
    build = subprocess.run(
        [sys.executable, "-m", "pricing.cli.main", "build", "--json"],
        env=service_environment(settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    assert KEY not in build.stdout and KEY not in build.stderr
    assert 'PRICING_API_KEY="$PRICING_API_KEY"' in build.stdout  # passed on from the shell
    name, version = json.loads(build.stdout.strip().splitlines()[-1])["bento"].split(":")
    bento = settings.bentoml_home / "bentos" / name / version
    packed = [path for path in bento.rglob("*") if path.is_file()]
    assert packed and all(KEY.encode() not in path.read_bytes() for path in packed)
