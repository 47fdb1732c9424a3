"""Schemathesis against a real `bentoml serve` (a small budget; `pricing bench fuzz` runs the
full one): no 5xx, every 4xx names its field or limit, every answer as the document says,
and requests without the key all refused."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from pricing.evaluation.fuzz_bench import SOURCE_TARGET, fuzz_service
from pricing.models.elasticity import META
from pricing.registry import resolve_model
from pricing.serving.process import service_environment, service_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CASES = 150


def test_fuzzed_requests_get_no_5xx_and_named_4xx(served, tmp_path):
    key = SecretStr("fuzz-key-0123456789")
    settings = served.model_copy(update={"api_key": key})
    meta = json.loads((resolve_model(settings, "elasticity").path / META).read_text())
    known = list(zip(meta["series"]["product_id"], meta["series"]["location_id"], strict=True))
    log = tmp_path / "serve.log"
    with service_process(SOURCE_TARGET, service_environment(settings), log) as (url, _):
        tally = fuzz_service(url, key, CASES, known, seed=0)
    figures = tally.figures()
    report = json.dumps(figures["examples"], indent=1)
    assert figures["cases"] >= CASES * 0.9
    assert {"POST /recommend", "POST /simulate", "POST /metadata"} <= set(figures["operations"])
    assert figures["server_errors"] == 0, report
    assert figures["unnamed_4xx"] == 0, report
    assert figures["schema_violations"] == 0, report
    assert figures["statuses"].get("200", 0) > 0 and figures["client_errors"] > 0
    assert figures["unauthenticated"] > 0
    assert figures["unauthenticated_401"] == figures["unauthenticated"]
