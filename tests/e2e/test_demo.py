"""The user's path: the project installed from its wheel, outside the checkout; `pricing
demo`, then the commands it points to, as real subprocesses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
PRICING = [sys.executable, "-m", "pricing.cli.main"]
#: Lines of framework noise that must never reach the user's screen (Ray, TensorFlow, absl).
NOISE = re.compile(
    r"absl|oneDNN|cuda|cuInit|TensorFlow|framework\.py|core_worker|RAY_|Ray cluster|gputil"
    r"|RLModule|new API stack|DeprecationWarning|RuntimeWarning|Materializing",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the checkout, installed into a folder of its own (dependencies
    come from the environment): what `pip install .` gives a user, away from the repo."""
    built = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         str(request.config.rootpath), "-w", str(built)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(next(built.glob("pricing-*.whl")))],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return site


def run(
    args: list[str], home: Path, site: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """``pricing ARGS`` on a home; with ``site``, from that install, in a folder outside the
    checkout (so neither the current directory nor the editable install supplies the code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env["PRICING_HOME"] = str(home)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [*PRICING, *args], env=env, cwd=home.parent, capture_output=True, text=True, timeout=600
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def last_json(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_wheel_ships_the_adapters_and_data_sets_under_the_projects_names(installed):
    names = [p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()]
    tops = {name.split("/")[0] for name in names} - {"bin"}
    assert {"pricing", "pricing_flows", "pricing_bentos", "pricing_feature_repo"} <= tops
    assert not tops & {"flows", "bentos", "app", "monitoring", "feature_repo", "data"}
    for shipped in (
        "pricing_flows/pipeline.py",
        "pricing_bentos/service.py",
        "pricing_bentos/bentofile.yaml",
        "pricing_feature_repo/definitions.py",
        "pricing_datasets/dominicks_oj/oj_yx.csv.gz",
        "pricing_datasets/retail_price/retail_price.csv",
    ):
        assert shipped in names, shipped


def test_quick_demo_from_an_install_then_where_to_look_next(installed, tmp_path):
    home = tmp_path / ".pricing"
    code = "import pricing, pricing_flows, pricing_bentos, pricing_monitoring, pricing_app; "
    code += "print(pricing.__file__, pricing_flows.__file__, pricing_bentos.__file__, "
    code += "pricing_monitoring.__file__, pricing_app.__file__)"
    imported = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(installed)},
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(path.startswith(str(installed)) for path in imported), imported
    result = run(["demo", "--quick", "--json"], home, installed)
    noise = [line for line in (result.stdout + result.stderr).splitlines() if NOISE.search(line)]
    assert not noise, noise[:10]
    demo = last_json(result)
    assert demo["dataset"] == "synthetic" and demo["data"]["freq"] == "daily"
    assert demo["snapshot"]["rows"] > 0
    assert demo["promotion"]["promoted"] and demo["bento"].startswith("pricing:")
    assert demo["recommendation"]["recommended_price"] > 0  # what the service would answer
    assert demo["reprice"]["items"] == 8  # every series priced once, into the audit log
    # The market ends in a price war: the monitor flagged it, and says so again when asked.
    assert demo["monitor"]["drift"] and "price_gap_ratio" in demo["monitor"]["drifted_features"]
    monitored = last_json(run(["monitor", "--json"], home, installed))
    assert monitored["drift"] is True and Path(monitored["report"]).is_file()
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
    promoted = last_json(run(["promote", "--json"], home, installed))
    assert not promoted["promoted"] and "already is prod" in promoted["reasons"][0]
    refused = run(["rollback"], home, installed, check=False)
    assert refused.returncode == 1 and "no earlier prod" in refused.stderr
    flow = last_json(run(["flows", "run", "build_features", "--json"], home, installed))
    assert flow["flow"] == "build_features" and flow["result"]["grain"] == "daily"
    built = last_json(run(["build", "--json"], home, installed))
    assert built["bento"].startswith("pricing:") and built["bento"] != demo["bento"]
    # Same features, same snapshot: the snapshot id is a function of the data alone.
    again = last_json(run(["snapshot", "create", "--json"], home, installed))
    assert again["snapshot"] == demo["snapshot"]["snapshot"]
    # The feast CLI's discovery module (shipped as pricing_feature_repo) exposes the objects.
    code = "import pricing_feature_repo.definitions as d; print(d.pricing_features_v1.name)"
    shown = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(installed), "PRICING_HOME": str(home)},
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == "pricing_features_v1"


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
        # 29 months of sales and of rival prices (no stock counts), and the products
        "partitions_written": 59,
    }
    assert demo["snapshot"]["rows"] == 106139


def test_missing_data_is_a_clear_error(tmp_path):
    result = run(["features", "build"], tmp_path / "empty", check=False)
    assert result.returncode == 1
    assert "holds no data" in result.stderr and "pricing data generate" in result.stderr
