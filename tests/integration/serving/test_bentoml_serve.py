"""The real thing: `pricing build`, then `bentoml serve <tag>` as a process, called over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

import bentoml
import httpx
import pytest

from pricing.serving.process import running_service, service_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_built_bento_serves_prices_over_http(served, tmp_path):
    env = service_environment(served)
    build = subprocess.run(
        [sys.executable, "-m", "pricing.cli.main", "build", "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    tag = json.loads(build.stdout.strip().splitlines()[-1])["bento"]
    assert tag.startswith("pricing:")
    with running_service(tag, env, tmp_path / "serve.log") as url:
        with bentoml.SyncHTTPClient(url) as client:
            priced = client.recommend(items=[{"product_id": "P0001"}])["items"][0]
            assert priced["model_version"]["bento"] == tag
            assert priced["recommended_price"] > 0 and 0 <= priced["confidence"] <= 1
            what_if = client.simulate(item={"product_id": "P0001"}, prices=[1.5, 2.5])
            assert len(what_if["points"]) == 2
            assert client.metadata()["versions"]["bento"] == tag
        mixed = {"items": [{"product_id": "P0002"}, {"product_id": "NOPE"}]}
        known, unknown = httpx.post(f"{url}/recommend", json=mixed).json()["items"]
        assert known["recommended_price"] > 0 and "unknown product_id" in unknown["error"]
        negative = {"items": [{"product_id": "P1", "inventory": -1}]}
        bad = httpx.post(f"{url}/recommend", json=negative)
        assert bad.status_code == 400 and "inventory" in bad.text
        broken = httpx.post(
            f"{url}/recommend", content=b"{", headers={"content-type": "application/json"}
        )
        assert broken.status_code == 400
        assert httpx.get(f"{url}/readyz").status_code == 200
