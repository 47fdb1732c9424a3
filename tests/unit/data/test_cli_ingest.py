"""``pricing data ingest`` / ``pricing data products`` through the CLI: exit codes and --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.home import HomeData
from pricing.settings import get_settings

SEED_CSV = """\
Product_ID,Date,Sales,Price,Competitor_Price,Inventory
p2,2024-01-01,5,10.00,9.50,20
p2,2024-01-02,6,10.00,9.50,14
p1,2024-01-01,10,2.00,2.10,50
p1,2024-01-02,12,2.00,2.10,38
p1,2024-01-04,9,2.50,2.40,29
"""

BAD_CSV = """\
Product_ID,Date,Sales,Price
p1,2024-01-01,10,2.00
p1,2024-01-02,ten,2.00
p1,2024-13-45,3,-1
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml"))  # the CLI sets a default
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_bad_csv_exits_2_naming_row_column_and_reason(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    result = _invoke("data", "ingest", str(path), "--json")
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "rejected, 3 problem(s)" in err
    assert "row 2, column 'units' (value 'ten'): not a number" in err
    assert "row 3, column 'date' (value '2024-13-45'): unparsable date" in err
    assert "row 3, column 'price' (value '-1'): must be positive" in err
    assert "{" not in result.stdout  # no JSON summary for a rejected file
    assert not HomeData(home / "data").exists()


def test_ingest_json_summary_is_last_stdout_line(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "seed.csv"
    path.write_text(SEED_CSV)
    result = _invoke("data", "ingest", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert _last_json(result.stdout) == {
        "rows": 5,
        "products": 2,
        "locations": 1,
        "freq": "daily",
        "start": "2024-01-01",
        "end": "2024-01-04",
        "partitions_written": 4,  # one month of sales, inventory, rival prices; products
    }
    assert HomeData(home / "data").grain == "daily"


def test_products_json_lists_ids(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "seed.csv"
    path.write_text(SEED_CSV)
    assert _invoke("data", "ingest", str(path)).exit_code == 0
    result = _invoke("data", "products", "--json")
    assert result.exit_code == 0, result.output
    assert _last_json(result.stdout) == {"products": ["p1", "p2"]}
    limited = _invoke("data", "products", "--limit", "1", "--json")
    assert _last_json(limited.stdout) == {"products": ["p1"]}


def test_map_ingest_via_cli(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "avocado.csv"
    path.write_text(
        "Date,AveragePrice,Total Volume,type,region\n"
        "2015-12-27,1.33,64236.62,conventional,Albany\n"
        "2015-12-20,1.35,54876.98,conventional,Albany\n"
        "2015-12-27,1.83,989.55,organic,Albany\n"
        "2015-12-20,1.89,1163.03,organic,Albany\n"
    )
    result = _invoke(
        "data",
        "ingest",
        str(path),
        "--map",
        "product_id=region+type",
        "--map",
        "date=Date",
        "--map",
        "units=Total Volume",
        "--map",
        "price=AveragePrice",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert _last_json(result.stdout)["freq"] == "weekly"
    products = _last_json(_invoke("data", "products", "--json").stdout)["products"]
    assert products == ["Albany:conventional", "Albany:organic"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--map", "sku=region"], "unknown canonical name 'sku'"),
        (["--map", "product_id=Region"], "missing column(s) 'Region'"),
    ],
)
def test_bad_map_exits_2(home: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    path = tmp_path / "seed.csv"
    path.write_text(SEED_CSV)
    result = _invoke("data", "ingest", str(path), *args)
    assert result.exit_code == 2
    assert expected in result.stderr


def test_second_grain_exits_2(home: Path, tmp_path: Path) -> None:
    daily = tmp_path / "seed.csv"
    daily.write_text(SEED_CSV)
    assert _invoke("data", "ingest", str(daily)).exit_code == 0
    weekly = tmp_path / "weekly.csv"
    weekly.write_text("Product_ID,Date,Sales,Price\np1,2024-02-05,1,2\np1,2024-02-12,1,2\n")
    result = _invoke("data", "ingest", str(weekly))
    assert result.exit_code == 2
    assert "holds daily data and the input is weekly" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "give either a PATH or --dataset"),
        (["x.csv", "--dataset", "oj"], "give either a PATH or --dataset"),
        (["--dataset", "nope"], "unknown --dataset 'nope'"),
        (["missing.csv"], "no such file"),
    ],
)
def test_bad_invocation_exits_2(home: Path, args: list[str], expected: str) -> None:
    result = _invoke("data", "ingest", *args)
    assert result.exit_code == 2
    assert expected in result.stderr


def test_cell_values_that_look_like_markup_are_shown_verbatim(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Product_ID,Date,Sales,Price\np1,2024-01-01,[red],1\np1,2024-01-02,1,[/x]\n")
    result = _invoke("data", "ingest", str(path))
    assert result.exit_code == 2
    assert "(value '[red]')" in result.stderr
    assert "(value '[/x]')" in result.stderr


def test_ingest_help_lists_every_canonical_name(home):
    from pricing.data.inputs import CANONICAL_INPUTS

    result = CliRunner().invoke(app, ["data", "ingest", "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    for name in CANONICAL_INPUTS:
        assert name in result.output, name
