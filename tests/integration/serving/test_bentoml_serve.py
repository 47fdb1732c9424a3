"""The real thing: `pricing build`, then the `bentoml serve` line it prints, run as printed
from another folder, called over HTTP; and a service started without its home fails once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import bentoml
import httpx
import pytest

from pricing.processes import free_port, start, stop_process
from pricing.serving.process import service_environment, wait_ready

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_built_bento_serves_prices_over_http(served, tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pricing.cli.main", "build", "--json"],
        env=service_environment(served), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    tag = json.loads(build.stdout.strip().splitlines()[-1])["bento"]
    assert tag.startswith("pricing:")
    # The bento's folder, not its tag: a tag is first tried as the module `pricing`.
    folder = served.bentoml_home / "bentos" / "pricing" / tag.split(":")[1]
    line = next(text for text in build.stdout.splitlines() if f"bentoml serve {folder}" in text)
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("PRICING_", "BENTOML_"))}
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:  # as printed, from a folder that is not the home's
        service = start(["bash", "-c", f"{line} --port {port}"], bare, out, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, service, 120, log)
        with bentoml.SyncHTTPClient(url) as client:
            priced = client.recommend(items=[{"product_id": "P0001"}])["items"][0]
            assert priced["model_version"]["bento"] == tag
            assert {"demand", "elasticity", "agent"} <= set(priced["model_version"])
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
        missing = httpx.post(
            f"{url}/simulate", json={"item": {"product_id": "NOPE"}, "prices": [1.5]}
        )
        assert missing.status_code == 404 and "'NOPE'" in missing.json()["error"]
        assert missing.json().keys() == bad.json().keys() == broken.json().keys()
        assert httpx.get(f"{url}/readyz").status_code == 200
    finally:
        stop_process(service)


def test_a_service_without_its_home_fails_once_naming_it(served, tmp_path):
    """Served as a module (a bento carries its home: tests/integration/serving/test_export.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRICING_", "BENTOML_"))}
    env["BENTOML_HOME"] = str(served.bentoml_home)  # the models are found, the data is not
    started = subprocess.run(
        [sys.executable, "-m", "bentoml", "serve", "pricing_bentos.service:Pricing", "--port",
         str(free_port())],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode != 0
    assert "PRICING_HOME is not set" in started.stderr
    assert "holds no data; run `pricing data generate`" in started.stderr
    assert "Traceback" not in started.stderr
