"""The shipped real data sets through the adapters: Dominick's OJ and retail price."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.adapters import OJ_BRANDS, load_oj, load_retail_price, shipped_datasets_dir
from pricing.data.grain import infer_grain
from pricing.data.home import HomeData
from pricing.data.ingest import store_batch
from pricing.settings import get_settings

pytestmark = pytest.mark.integration

OJ_ROWS = 106_139
SERIES = ["product_id", "location_id"]


@pytest.fixture(scope="module")
def oj_home(tmp_path_factory: pytest.TempPathFactory) -> HomeData:
    home = HomeData(tmp_path_factory.mktemp("oj_home") / "data")
    summary = store_batch(home, load_oj(shipped_datasets_dir()), source="dataset:oj")
    assert summary.rows == OJ_ROWS
    return home


@pytest.fixture(scope="module")
def oj_sales(oj_home: HomeData) -> pd.DataFrame:
    return oj_home.read("sales")


def test_oj_stores_brands_and_series(oj_home: HomeData, oj_sales: pd.DataFrame) -> None:
    assert oj_home.grain == "weekly"
    assert oj_sales["location_id"].nunique() == 83
    assert oj_sales["product_id"].nunique() == 11
    assert set(oj_sales["product_id"]) == {name for name, _ in OJ_BRANDS.values()}
    assert oj_sales.groupby(SERIES).ngroups == 913
    assert not oj_sales.duplicated([*SERIES, "date"]).any()
    assert (oj_sales["event_timestamp"] == oj_sales["date"] + pd.Timedelta(days=7)).all()

    products = oj_home.read("products").set_index("product_id")
    assert len(products) == 11
    assert products.loc["tropicana_premium_96oz", "pack_size"] == 96.0
    assert products.loc["dominicks_128oz", "pack_size"] == 128.0
    assert set(products["category"]) == {"refrigerated_orange_juice"}


def test_oj_observed_rows_and_masked_missing_weeks(oj_sales: pd.DataFrame) -> None:
    observed = oj_sales[oj_sales["observed"]]
    assert len(observed) == OJ_ROWS
    assert observed["units_sold"].notna().all() and (observed["units_sold"] > 0).all()
    assert observed["promo"].between(0, 1).all()

    gaps = oj_sales[~oj_sales["observed"]]
    assert gaps.groupby(SERIES).ngroups == 847
    assert gaps["units_sold"].isna().all() and gaps["price"].isna().all()
    # Each series is complete from its first to its last observed week.
    span = oj_sales.groupby(SERIES)["date"].agg(["min", "max", "count"])
    weeks = (span["max"] - span["min"]).dt.days // 7 + 1
    assert (weeks == span["count"]).all()
    assert len(oj_sales) == int(weeks.sum())


def test_oj_shelf_prices_in_dollars(oj_sales: pd.DataFrame) -> None:
    observed = oj_sales[oj_sales["observed"]]
    assert 1.5 < observed["price"].median() < 4.5
    by_brand = observed.groupby("product_id")["price"].median()
    assert 2.0 < by_brand["tropicana_premium_64oz"] < 4.0
    assert by_brand["tropicana_premium_96oz"] > by_brand["tropicana_premium_64oz"]
    assert (observed["revenue"] == observed["units_sold"] * observed["price"]).all()


def test_oj_substitute_prices(oj_home: HomeData) -> None:
    competitor = oj_home.read("competitor_prices")
    assert len(competitor) == 10 * OJ_ROWS
    assert set(competitor["competitor_type"]) == {"substitute"}
    per_row = competitor.groupby([*SERIES, "date"]).size()
    assert len(per_row) == OJ_ROWS and (per_row == 10).all()
    assert (competitor["competitor_id"] != competitor["product_id"]).all()
    assert (competitor["price"] > 0).all()
    assert 1.0 < competitor["price"].median() < 5.0


def test_oj_demand_slopes_down(oj_sales: pd.DataFrame) -> None:
    """Log-units on log-price, pooled over all series with a fixed effect per series.

    (Without any fixed effect the slope across brands is only about -0.5: bigger packs cost
    more per carton. Within series it is about -3, the figure in data/dominicks_oj/README.md.)
    """
    observed = oj_sales[oj_sales["observed"]].copy()
    observed["x"] = np.log(observed["price"])
    observed["y"] = np.log(observed["units_sold"])
    groups = observed.groupby(SERIES)
    x = observed["x"] - groups["x"].transform("mean")
    y = observed["y"] - groups["y"].transform("mean")
    slope = float((x * y).sum() / (x * x).sum())
    assert slope < -1.5
    for product, rows in observed.groupby("product_id"):
        assert np.polyfit(rows["x"], rows["y"], 1)[0] < -1.0, product


def test_retail_price_is_monthly_with_52_products(tmp_path: Path) -> None:
    batch = load_retail_price(shipped_datasets_dir())
    assert batch.freq == "monthly"
    sales = batch.sales
    assert sales["product_id"].nunique() == 52
    assert set(sales["location_id"]) == {"all"}
    assert (sales["date"].dt.day == 1).all()
    assert infer_grain(sales["date"], sales[SERIES]) == "monthly"
    assert set(batch.competitor_prices["competitor_type"]) == {"competitor"}

    home = HomeData(tmp_path / "data")
    summary = store_batch(home, batch, source="dataset:retail_price")
    assert (summary.products, summary.freq) == (52, "monthly")
    stored = home.read("sales")
    assert (stored["date"].dt.day == 1).all()  # gap rows are month starts too
    assert (stored["event_timestamp"] == stored["date"] + pd.DateOffset(months=1)).all()


def test_cli_ingest_oj_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["data", "ingest", "--dataset", "oj", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    # Weeks 40..160, week 1 starting 1989-09-14.
    assert summary == {
        "rows": OJ_ROWS,
        "products": 11,
        "locations": 83,
        "freq": "weekly",
        "start": "1990-06-14",
        "end": "1992-10-01",
        # 29 months of sales and of rival prices (no stock counts), and the products
        "partitions_written": 59,
    }
    assert HomeData(tmp_path / "home" / "data").grain == "weekly"
