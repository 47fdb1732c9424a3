"""Library-level ingestion into a home: canonical tables, gaps, atomicity, grain, upserts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing.data.grain import GrainError
from pricing.data.home import HomeData
from pricing.data.ingest import ingest_file
from pricing.data.mapping import MappingError
from pricing.data.validation import ValidationError

UTC = "UTC"


def _ts(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz=UTC)


#: Seed format, daily; p2 skips 2024-01-03 (a gap); p1 ends with nothing on hand.
SEED_CSV = """\
Product_ID,Date,Sales,Price,Competitor_Price,Inventory
p1,2024-01-01,10,2.00,2.10,50
p1,2024-01-02,12,2.00,,38
p1,2024-01-03,8,2.50,2.40,30
p1,2024-01-04,9,2.50,2.40,0
p2,2024-01-01,5,10.00,9.50,
p2,2024-01-02,6,10.00,9.50,20
p2,2024-01-04,4,11.00,10.50,16
"""


@pytest.fixture
def home(tmp_path: Path) -> HomeData:
    return HomeData(tmp_path / "home" / "data")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _snapshot(home: HomeData) -> dict[str, bytes]:
    return {
        str(p.relative_to(home.data_dir)): p.read_bytes()
        for p in sorted(home.data_dir.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def seeded(tmp_path: Path, home: HomeData) -> HomeData:
    ingest_file(home, _write(tmp_path, "seed.csv", SEED_CSV))
    return home


def test_seed_csv_ingest_builds_canonical_tables(tmp_path: Path, home: HomeData) -> None:
    summary = ingest_file(home, _write(tmp_path, "seed.csv", SEED_CSV))
    assert summary.as_dict() == {
        "rows": 7,
        "products": 2,
        "locations": 1,
        "freq": "daily",
        "start": "2024-01-01",
        "end": "2024-01-04",
        "partitions_written": 4,  # one month of sales, inventory, rival prices; products
    }
    assert home.grain == "daily"
    assert home.meta()["sources"] == [{"source": str(tmp_path / "seed.csv"), "rows": 7}]

    sales = home.read("sales")
    observed = sales[sales["observed"]]
    assert len(observed) == 7
    assert set(sales["location_id"]) == {"all"}
    assert (sales["event_timestamp"] == sales["date"] + pd.Timedelta(days=1)).all()
    first = observed.iloc[0]
    assert (first["product_id"], first["date"]) == ("p1", _ts("2024-01-01"))
    assert (first["units_sold"], first["price"], first["revenue"]) == (10.0, 2.0, 20.0)
    assert first["event_timestamp"] == _ts("2024-01-02")
    # Ending a period with nothing on hand flags a possible stockout.
    stocked_out = observed.loc[observed["stockout"], ["product_id", "date"]]
    assert stocked_out.values.tolist() == [["p1", _ts("2024-01-04")]]

    inventory = home.read("inventory")
    assert len(inventory) == 6  # the blank Inventory cell is not a row
    assert (inventory["event_timestamp"] == inventory["date"] + pd.Timedelta(days=1)).all()
    assert (
        inventory.set_index(["product_id", "date"]).loc[("p1", _ts("2024-01-04")), "on_hand"] == 0.0
    )

    competitor = home.read("competitor_prices")
    assert len(competitor) == 6  # the blank Competitor_Price cell is not a row
    assert set(competitor["competitor_type"]) == {"competitor"}
    assert (competitor["event_timestamp"] == competitor["date"] + pd.Timedelta(days=1)).all()

    products = home.read("products").set_index("product_id")
    assert products.index.tolist() == ["p1", "p2"]
    assert products.loc["p1", "base_price"] == pytest.approx(2.25)  # median shelf price
    assert products.loc["p2", "base_price"] == pytest.approx(10.0)


def test_gaps_are_masked_rows_never_zeros(seeded: HomeData) -> None:
    sales = seeded.read("sales")
    gaps = sales[~sales["observed"]]
    assert gaps[["product_id", "date"]].values.tolist() == [["p2", _ts("2024-01-03")]]
    gap = gaps.iloc[0]
    assert np.isnan(gap["units_sold"]) and np.isnan(gap["price"]) and np.isnan(gap["revenue"])
    assert gap["event_timestamp"] == _ts("2024-01-04")
    assert not gap["stockout"]
    # Every series is complete over its own span, one row per period.
    per_series = sales.groupby(["product_id", "location_id"])["date"]
    assert (per_series.count() == 4).all()
    assert not sales.duplicated(["product_id", "location_id", "date"]).any()


def test_rejected_file_leaves_home_byte_identical(tmp_path: Path, seeded: HomeData) -> None:
    before = _snapshot(seeded)
    assert "meta.json" in before
    assert all(seeded.files(name) for name in ("sales", "inventory", "products"))
    bad = _write(
        tmp_path,
        "bad.csv",
        "Product_ID,Date,Sales,Price\n"
        "p1,2024-01-05,3,2.5\n"
        "p1,2024-01-06,-1,2.5\n"
        "p3,not-a-date,2,0\n",
    )
    with pytest.raises(ValidationError) as caught:
        ingest_file(seeded, bad)
    assert [(i.row, i.column) for i in caught.value.issues] == [
        (2, "units"),
        (3, "date"),
        (3, "price"),
    ]
    assert _snapshot(seeded) == before


def test_rejected_first_ingest_writes_nothing(tmp_path: Path, home: HomeData) -> None:
    with pytest.raises(ValidationError):
        ingest_file(home, _write(tmp_path, "bad.csv", "Product_ID,Date,Sales,Price\np1,x,1,1\n"))
    assert not home.data_dir.exists() or _snapshot(home) == {}
    assert not home.exists()


def test_second_grain_is_refused_and_home_unchanged(tmp_path: Path, seeded: HomeData) -> None:
    before = _snapshot(seeded)
    weekly = _write(
        tmp_path,
        "weekly.csv",
        "Product_ID,Date,Sales,Price\np1,2024-02-05,1,2\np1,2024-02-12,1,2\np1,2024-02-19,1,2\n",
    )
    with pytest.raises(GrainError) as caught:
        ingest_file(seeded, weekly)
    message = str(caught.value)
    assert "holds daily data and the input is weekly" in message
    assert "another PRICING_HOME" in message
    assert _snapshot(seeded) == before


def test_second_ingest_upserts_and_extends(tmp_path: Path, seeded: HomeData) -> None:
    update = _write(
        tmp_path,
        "update.csv",
        "Product_ID,Date,Sales,Price\n"
        "p1,2024-01-04,99,3.00\n"  # replaces an existing row
        "p2,2024-01-03,7,10.00\n"  # fills p2's gap
        "p2,2024-01-05,3,11.00\n"  # extends p2
        "p3,2024-01-04,1,1.00\n"  # a new product
        "p3,2024-01-05,2,1.00\n",
    )
    summary = ingest_file(seeded, update)
    assert (summary.rows, summary.products, summary.start, summary.end) == (
        5,
        3,
        "2024-01-03",
        "2024-01-05",
    )
    sales = seeded.read("sales").set_index(["product_id", "date"])
    assert sales.loc[("p1", _ts("2024-01-04")), "units_sold"] == 99.0
    assert sales.loc[("p1", _ts("2024-01-04")), "price"] == 3.0
    assert sales.loc[("p1", _ts("2024-01-01")), "units_sold"] == 10.0  # untouched
    assert sales.loc[("p2", _ts("2024-01-03")), "observed"]  # the gap is now observed
    assert sales["observed"].all()
    assert len(sales) == 4 + 5 + 2
    assert not sales.index.duplicated().any()
    assert seeded.read("products")["product_id"].tolist() == ["p1", "p2", "p3"]
    assert [s["rows"] for s in seeded.meta()["sources"]] == [7, 5]
    # Tables the update did not carry keep their rows.
    assert len(seeded.read("inventory")) == 6
    assert len(seeded.read("competitor_prices")) == 6


def test_parquet_input(tmp_path: Path, home: HomeData) -> None:
    frame = pd.DataFrame(
        {
            "Product_ID": ["a", "a", "a", "b", "b"],
            "Date": pd.to_datetime(
                ["2024-01-01", "2024-01-08", "2024-01-22", "2024-01-01", "2024-01-08"]
            ),
            "Sales": [5, 6, 7, 1, 2],
            "Price": [1.5, 1.5, 1.75, 3.0, 3.25],
        }
    )
    path = tmp_path / "sales.parquet"
    frame.to_parquet(path, index=False)
    summary = ingest_file(home, path)
    assert (summary.rows, summary.products, summary.freq) == (5, 2, "weekly")
    sales = home.read("sales")
    assert len(sales) == 6  # a's missing 2024-01-15 is a masked row
    assert (sales["event_timestamp"] == sales["date"] + pd.Timedelta(days=7)).all()
    assert sales.loc[~sales["observed"], "date"].tolist() == [_ts("2024-01-15")]


def test_parquet_input_bad_cells_are_reported(tmp_path: Path, home: HomeData) -> None:
    frame = pd.DataFrame(
        {
            "Product_ID": ["a", "a"],
            "Date": ["2024-01-01", "2024-01-02"],
            "Sales": [1.0, -2.0],
            "Price": [np.nan, 1.0],
        }
    )
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(ValidationError) as caught:
        ingest_file(home, path)
    assert [(i.row, i.column, i.reason) for i in caught.value.issues] == [
        (1, "price", "missing value"),
        (2, "units", "must not be negative"),
    ]
    assert not home.exists()


AVOCADO_CSV = """\
Date,AveragePrice,Total Volume,type,year,region
2015-12-27,1.33,64236.62,conventional,2015,Albany
2015-12-20,1.35,54876.98,conventional,2015,Albany
2015-12-13,0.93,118220.22,conventional,2015,Albany
2015-12-27,1.83,989.55,organic,2015,Albany
2015-12-20,1.89,1163.03,organic,2015,Albany
2015-12-27,1.05,340000.10,conventional,2015,Boston
2015-12-13,1.10,300000.00,conventional,2015,Boston
"""

AVOCADO_MAP = ["product_id=region+type", "date=Date", "units=Total Volume", "price=AveragePrice"]


def test_mapped_avocado_like_table(tmp_path: Path, home: HomeData) -> None:
    summary = ingest_file(home, _write(tmp_path, "avocado.csv", AVOCADO_CSV), AVOCADO_MAP)
    assert (summary.rows, summary.products, summary.locations, summary.freq) == (7, 3, 1, "weekly")
    assert (summary.start, summary.end) == ("2015-12-13", "2015-12-27")
    assert home.read("products")["product_id"].tolist() == [
        "Albany:conventional",
        "Albany:organic",
        "Boston:conventional",
    ]
    sales = home.read("sales").set_index(["product_id", "date"])
    row = sales.loc[("Albany:conventional", _ts("2015-12-27"))]
    assert (row["units_sold"], row["price"]) == (pytest.approx(64236.62), 1.33)
    assert not sales.loc[("Boston:conventional", _ts("2015-12-20")), "observed"]
    assert home.read("inventory").empty and home.read("competitor_prices").empty


def test_map_naming_a_missing_column_writes_nothing(tmp_path: Path, home: HomeData) -> None:
    path = _write(tmp_path, "avocado.csv", AVOCADO_CSV)
    with pytest.raises(MappingError, match="missing column\\(s\\) 'Region'"):
        ingest_file(
            home,
            path,
            ["product_id=Region+type", "date=Date", "units=Total Volume", "price=AveragePrice"],
        )
    assert not home.exists()
