"""The user's path: `pricing demo`, then the commands it points to, as real subprocesses."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
PRICING = [sys.executable, "-m", "pricing.cli.main"]


def run(args: list[str], home: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env["PRICING_HOME"] = str(home)
    result = subprocess.run([*PRICING, *args], env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def last_json(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_quick_demo_then_where_to_look_next(tmp_path):
    home = tmp_path / ".pricing"
    demo = last_json(run(["demo", "--quick", "--json"], home))
    assert demo["dataset"] == "synthetic" and demo["data"]["freq"] == "daily"
    assert demo["snapshot"]["rows"] > 0
    assert demo["promotion"]["promoted"] and demo["bento"].startswith("pricing:")
    assert demo["recommendation"]["recommended_price"] > 0  # what the service would answer
    products = last_json(run(["data", "products", "--limit", "2", "--json"], home))["products"]
    assert products == ["P0001", "P0002"]
    online = last_json(run(["store", "online", *products, "--json"], home))["features"]
    assert [row["product_id"] for row in online] == products
    assert all(row["last_price"] > 0 and row["units_ma28"] is not None for row in online)
    snapshots = last_json(run(["snapshot", "list", "--json"], home))["snapshots"]
    assert [s["snapshot"] for s in snapshots] == [demo["snapshot"]["snapshot"]]
    shown = last_json(run(["snapshot", "show", snapshots[0]["snapshot"], "--json"], home))
    assert shown["hash"] == demo["snapshot"]["hash"]
    assert sorted(shown["models"]) == sorted(m["tag"] for m in demo["models"].values())
    # The operator's commands on the demo's home.
    promoted = last_json(run(["promote", "--json"], home))
    assert not promoted["promoted"] and "already is prod" in promoted["reasons"][0]
    refused = run(["rollback"], home, check=False)
    assert refused.returncode == 1 and "no earlier prod" in refused.stderr
    flow = last_json(run(["flows", "run", "build_features", "--json"], home))
    assert flow["flow"] == "build_features" and flow["result"]["grain"] == "daily"
    # Same seed, same market, same features: the snapshot id is reproducible.
    again = last_json(run(["demo", "--quick", "--json"], home))
    assert again["snapshot"] == demo["snapshot"]
    # The feast CLI's discovery module exposes the same objects.
    os.environ["PRICING_HOME"] = str(home)
    from pricing.settings import get_settings

    get_settings.cache_clear()
    module = runpy.run_path(str(Path(__file__).parents[2] / "feature_repo" / "definitions.py"))
    assert module["pricing_features_v1"].name == "pricing_features_v1"


@pytest.mark.slow
def test_oj_demo_in_its_own_home(tmp_path):
    home = tmp_path / ".pricing"
    demo = last_json(run(["demo", "--dataset", "oj", "--quick", "--json"], home))
    assert demo["home"] == str(tmp_path / ".pricing-oj")
    assert demo["data"] == {
        "rows": 106139,
        "products": 11,
        "locations": 83,
        "freq": "weekly",
        "start": "1990-06-14",
        "end": "1992-10-01",
    }
    assert demo["snapshot"]["rows"] == 106139


def test_missing_data_is_a_clear_error(tmp_path):
    result = run(["features", "build"], tmp_path / "empty", check=False)
    assert result.returncode == 1
    assert "holds no data" in result.stderr and "pricing data generate" in result.stderr
