"""Every flow under Prefect's test harness (a temporary server), on tiny data."""

from __future__ import annotations

import pandas as pd
import pytest
from prefect.testing.utilities import prefect_test_harness

from pricing.data.home import HomeData
from pricing.data.synthetic import generate_into_home
from pricing.registry import list_models, prod_set
from pricing.settings import get_settings
from pricing_flows import pipeline

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def harness():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # else: "database is locked"
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def home(harness, monkeypatch, tmp_path):
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")
    get_settings.cache_clear()
    return get_settings()


def seed_csv(path, products: int = 3, days: int = 120) -> str:
    """A file in the seed's format (Product_ID, Date, Sales, Price, ...)."""
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = [
        {
            "Product_ID": f"S{p}",
            "Date": d.date().isoformat(),
            "Sales": 20 + (i * (p + 3)) % 11,
            "Price": round(4.0 + 0.5 * p + 0.25 * ((i // 9) % 3), 2),
            "Competitor_Price": 4.5 + 0.5 * p,
            "Inventory": 400,
        }
        for p in range(products)
        for i, d in enumerate(dates)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def test_stage_flows_one_by_one(home, tmp_path):
    ingested = pipeline.ingest(source=seed_csv(tmp_path / "sales.csv"))
    assert ingested["rows"] == 360 and ingested["products"] == 3
    assert pipeline.build_features()["grain"] == "daily"
    assert pipeline.materialize()["views"]
    snap = pipeline.snapshot()
    assert snap.startswith("snap_")
    first = pipeline.train_elasticity(snapshot_id=snap, quick=True)
    again = pipeline.train_elasticity(snapshot_id=snap, quick=True)
    assert again == first  # cached on (home, snapshot, seed, size): no second model
    assert len(list_models(home, "elasticity")) == 1
    demand = pipeline.train_demand(snapshot_id=snap, quick=True)
    assert demand["tag"].startswith("pricing-demand:")


def test_pipeline_from_a_source_file_trains_promotes_and_builds(home, tmp_path):
    generate_into_home(home, products=3, days=150, seed=1)
    summary = pipeline.pricing_pipeline(quick=True)
    assert summary["snapshot"].startswith("snap_")
    assert set(summary["models"]) == {"elasticity", "demand", "agent"}
    assert summary["promotion"]["promoted"]
    assert prod_set(home) == {k: v["tag"] for k, v in summary["models"].items()}
    assert summary["bento"].startswith("pricing:")
    scores = pipeline.evaluate()
    assert 0 < scores["policy_pct_of_oracle"] <= 100 and scores["forecast_wape"] > 0
    assert not pipeline.promote()["promoted"]  # the challenger already is prod


def test_only_io_failures_are_retried():
    from prefect.states import Failed
    from redis.exceptions import ConnectionError as RedisDown

    from pricing.data.validation import ValidationError
    from pricing_flows.pipeline import _transient

    assert _transient(None, None, Failed(data=ConnectionResetError("peer went away")))
    assert _transient(None, None, Failed(data=RedisDown("redis down")))
    assert not _transient(None, None, Failed(data=ValidationError([])))
    assert not _transient(None, None, Failed(data=FileNotFoundError("sales.csv")))


def test_bad_input_fails_the_ingest_flow_naming_the_row(home, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Product_ID,Date,Sales,Price\nA,2024-01-01,3,2.5\nA,2024-01-02,4,-1\n")
    with pytest.raises(Exception, match=r"row 2, column 'price' \(value '-1'\)"):
        pipeline.ingest(source=str(path))
    assert not HomeData(home.data_dir).exists()  # nothing stored


def test_the_command_line_lists_every_flow_and_takes_dashes():
    from typer.testing import CliRunner

    from pricing.cli import app
    from pricing.cli.flows import FLOW_NAMES

    assert set(FLOW_NAMES) == set(pipeline.FLOWS)
    shown = CliRunner().invoke(app, ["flows", "run", "--help"], env={"COLUMNS": "300"})
    assert all(name in shown.output for name in FLOW_NAMES)
    refused = CliRunner().invoke(app, ["flows", "run", "build-featurez"])
    assert refused.exit_code == 2 and "build_features" in refused.output
