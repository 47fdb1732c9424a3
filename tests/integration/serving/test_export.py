"""Deployable elsewhere: `pricing build --export` writes a .bento archive that `bentoml import`
takes into an empty BENTOML_HOME and `bentoml serve TAG` serves from another folder with only
the online store's address configured: no PRICING_HOME, no home data. The bento carries the
catalogue, the Feast registry and the forecaster's history, and reads the build home's keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from pricing.processes import free_port, start, stop_process
from pricing.serving.process import service_environment, wait_ready
from pricing.store import ops
from pricing.store.backends import RedisOnlineStore
from pricing_bentos.build import prod_tags
from tests.integration.commands import cli_json
from tests.integration.serving.workers import loads_tensorflow, service_workers

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCTS = [f"P{i:04d}" for i in range(1, 7)]


def test_an_exported_bento_serves_from_an_empty_bentoml_home(served, redis_url, tmp_path):
    on_redis = served.model_copy(update={"online_store": RedisOnlineStore(url=redis_url)})
    ops.apply(on_redis)
    ops.materialize(on_redis, full=True)
    archive = tmp_path / "out" / "pricing.bento"
    built = cli_json(service_environment(served), "build", "--export", str(archive))
    tag = built["bento"]
    assert built["export"] == str(archive) and archive.is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRICING_", "BENTOML_"))}
    env |= {"BENTOML_HOME": str(elsewhere / "bentoml")}  # empty: nothing but the import
    imported = subprocess.run(
        [sys.executable, "-m", "bentoml", "import", str(archive)],
        env=env, cwd=elsewhere, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr[-3000:]
    env |= {"PRICING_ONLINE_STORE": "redis", "PRICING_REDIS_URL": redis_url}
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        command = [sys.executable, "-m", "bentoml", "serve", tag, "--port", str(port)]
        server = start(command, env, out, cwd=elsewhere)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server, 180, log)
        answer = httpx.post(
            f"{url}/recommend", json={"items": [{"product_id": p} for p in PRODUCTS]}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        pinned = prod_tags(served)
        for item in answer.json()["items"]:
            assert not item["fallback"], item  # the build home's online rows were found
            assert item["model_version"]["bento"] == tag
            assert {k: item["model_version"][k] for k in pinned} == pinned
        forecast = httpx.post(
            f"{url}/forecast", json={"item": {"product_id": "P0003"}, "price": 2.0}, timeout=30
        )
        assert forecast.status_code == 200, forecast.text
        assert forecast.json()["model_version"]["demand"] == pinned["demand"]
        assert forecast.json()["history_age_periods"] == 0.0  # the packed history's end
        meta = httpx.post(f"{url}/metadata", json={}, timeout=30).json()
        assert meta["items"] == len(PRODUCTS) and meta["config"]["online_store"] == "redis"
        workers = service_workers(server.pid)
        assert loads_tensorflow(workers["forecaster"])
        assert not loads_tensorflow(workers["pricing"])
    finally:
        stop_process(server)
    # Without PRICING_HOME, BentoML runs the service in the bento's folder: the copy is there.
    folder = elsewhere / "bentoml" / "bentos" / "pricing" / tag.split(":")[1] / "src"
    copies = list(folder.glob(".pricing/bentos/*/home.json"))
    assert len(copies) == 1
    assert json.loads(copies[0].read_text())["project"] == served.feast_project
