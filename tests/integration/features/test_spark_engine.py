"""The Spark feature engine writes the pandas engine's tables: row for row, same columns and
dtypes, floats to 1e-9, on hand-made edge cases and on a generated market; and the command
line builds them.

Spark runs in local mode on one core; the module shares one session, stopped at its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dask.dataframe as dd
import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.home import HomeData
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.features.engine import PandasEngine
from pricing.features.spark_engine import SparkEngine
from pricing.settings import Settings, get_settings
from pricing.spark.config import SparkSettings
from pricing.spark.session import spark_session
from pricing.store import ops
from pricing.store.snapshots import create_snapshot, load_snapshot

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LOCAL = SparkSettings(master="local[1]")
VIEWS = ("sales_stats", "inventory_stats", "competitor_stats")
NAN = np.nan
START = pd.Timestamp("2024-01-01", tz="UTC")
INGESTED = pd.Timestamp("2024-03-01 12:00", tz="UTC")


@pytest.fixture(scope="module", autouse=True)
def spark() -> Iterator[None]:
    """The module's one Spark session (the engine and Feast take the active one)."""
    session = spark_session(LOCAL)
    yield
    session.stop()


def stamps(days: list[int]) -> dict[str, object]:
    dates = START + pd.to_timedelta(days, unit="D")
    return {"date": dates, "event_timestamp": dates + pd.Timedelta(days=1)}


def series(
    product: str, units: list[float], prices: list[float], location: str = "all"
) -> pd.DataFrame:
    """Daily sales rows from day 0; a NaN unit count is a masked gap (nothing observed)."""
    observed = [not np.isnan(u) for u in units]
    return pd.DataFrame(
        {
            "product_id": product,
            "location_id": location,
            **stamps(list(range(len(units)))),
            "observed": observed,
            "units_sold": units,
            "price": [p if seen else NAN for p, seen in zip(prices, observed, strict=True)],
            "revenue": [u * p for u, p in zip(units, prices, strict=True)],
            "promo": [
                NAN if i == 1 or not seen else float(i % 5 == 4) for i, seen in enumerate(observed)
            ],
            "stockout": [u == 0 for u in units],
            "ingested_timestamp": INGESTED + pd.to_timedelta(range(len(units)), unit="h"),
        }
    )


def edge_sales() -> pd.DataFrame:
    gap = [NAN] * 8  # longer than the 7-period window: a window of nothing observed
    return pd.concat(
        [
            # masked gaps (the price in effect persists over them), a stock-out, price changes
            series(
                "P1",
                [5, 7, 0, *gap, 6, 4, 9, 3, 2, 8, 1, 7, 5, 6] * 2,
                [2.0, 2.0, 2.0, *[2.5] * 8, 2.5, 2.5, 2.2, 2.2, 2.2, 2.2 * (1 + 1e-12), 3, 3, 3, 3]
                * 2,
                location="north",
            ),
            series("P1", [3, 4, NAN, 2, 6], [4.0, 4.0, 4.0, 4.4, 4.4], location="south"),
            series("P2", [12], [9.99]),  # a series of a single period
            series("P3", [0, 0, 0, 0], [5.0, 5.0, 6.0, 6.0]),  # no sales: no trend
            # a free period (never valid input, but both engines divide by zero alike)
            series("P4", [2, 2, 3, 3, 1], [1.5, 0.0, 0.0, 1.5, 1.5]),
        ],
        ignore_index=True,
    )


def edge_inventory(sales: pd.DataFrame) -> pd.DataFrame:
    stock = sales[["product_id", "location_id", "date", "event_timestamp"]].copy()
    stock["on_hand"] = np.where(sales["stockout"], 0.0, 10.0 + np.arange(len(stock)) % 7)
    stock["inbound"] = np.where(np.arange(len(stock)) % 3 == 0, 5.0, 0.0)
    stock.loc[stock.index[5], "on_hand"] = NAN  # an unreadable count
    stock["ingested_timestamp"] = INGESTED
    late = stock[stock["product_id"] == "P2"].assign(**stamps([1]))  # after the last sale
    return pd.concat([stock, late], ignore_index=True)


def edge_competitors(kinds: dict[str, str]) -> pd.DataFrame:
    """Two competitors' prices of P1 (north) and one of P2 and P4, of the types given."""
    rows = []
    for day in range(30):
        rows.append(("P1", "north", "A", kinds["P1"], day, 2.1 + day % 3 * 0.1))
        if day % 2:
            rows.append(("P1", "north", "B", kinds["P1"], day, NAN if day == 9 else 1.9))
    rows += [("P2", "all", "S", kinds["P2"], day, 9.5) for day in (0, 3)]  # 3: no sale
    # a free competitor: a gap of 0/0 (missing), then of 1.5/0 (inf, which pandas keeps)
    rows += [
        ("P4", "all", "S", kinds["P4"], day, 0.0 if day in (2, 3) else 1.4) for day in range(5)
    ]
    frame = pd.DataFrame(
        rows,
        columns=["product_id", "location_id", "competitor_id", "competitor_type", "day", "price"],
    )
    return frame.assign(**stamps(frame.pop("day").tolist()), ingested_timestamp=INGESTED)


def make_home(settings: Settings, tables: dict[str, pd.DataFrame], grain: str) -> HomeData:
    home = HomeData(settings.data_dir)
    home.replace(tables, {"grain": grain, "sources": ["test"]})
    return home


def assert_same_views(expected: Path, got: Path) -> None:
    for view in VIEWS:
        pd.testing.assert_frame_equal(
            pd.read_parquet(got / f"{view}.parquet"),
            pd.read_parquet(expected / f"{view}.parquet"),
            check_exact=False,
            rtol=1e-9,
            atol=1e-9,
            obj=view,
        )


def both_engines(home: HomeData, grain: str, out: Path) -> dict[str, int]:
    expected = PandasEngine().write(home, grain, out / "pandas")
    rows = SparkEngine(LOCAL).write(home, grain, out / "spark")
    assert rows == expected
    assert_same_views(out / "pandas", out / "spark")
    assert sorted(p.name for p in (out / "spark").iterdir()) == sorted(
        f"{v}.parquet" for v in VIEWS
    )
    return rows


RIVALS = {"P1": "competitor", "P2": "substitute", "P4": "competitor"}
SUBSTITUTES = dict.fromkeys(RIVALS, "substitute")


@pytest.mark.parametrize(
    ("kinds", "grain"),
    [(RIVALS, "daily"), (SUBSTITUTES, "weekly")],
    ids=["rivals-and-substitutes", "substitutes-only"],
)
def test_spark_matches_pandas_on_edge_cases(
    make_settings, tmp_path: Path, kinds: dict[str, str], grain: str
) -> None:
    sales = edge_sales()
    tables = {
        "sales": sales,
        "inventory": edge_inventory(sales),
        "competitor_prices": edge_competitors(kinds),
    }
    rows = both_engines(make_home(make_settings(), tables, grain), grain, tmp_path)
    stats = pd.read_parquet(tmp_path / "spark" / "sales_stats.parquet")
    north = stats[stats["location_id"] == "north"]
    assert north["units_ma7"].isna().any() and north["observed_share28"].lt(1).any()
    assert stats.loc[stats["product_id"] == "P3", "units_trend"].isna().all()
    compared = pd.read_parquet(tmp_path / "spark" / "competitor_stats.parquet")
    # Rivals exist: the product priced against a substitute alone has no gap row; else all do.
    assert ("P2" in set(compared["product_id"])) == (kinds is SUBSTITUTES)
    assert rows["sales_stats"] == len(sales)


def test_spark_matches_pandas_without_stock_or_competitors(make_settings, tmp_path: Path):
    home = make_home(make_settings(), {"sales": edge_sales()}, "monthly")
    assert both_engines(home, "monthly", tmp_path)["competitor_stats"] == 0


def test_spark_matches_pandas_on_a_generated_market(make_settings, tmp_path: Path) -> None:
    settings = make_settings()
    generate_into_home(settings, products=4, days=60, seed=3)
    home = HomeData(settings.data_dir)
    both_engines(home, home.require_grain(), tmp_path)


def test_feature_files_read_by_every_offline_store_engine(make_settings) -> None:
    settings = make_settings()
    generate_into_home(settings, products=2, days=30, seed=1)
    build_features(settings, "spark")
    session = spark_session(LOCAL)
    for view in VIEWS:
        path = settings.features_dir / f"{view}.parquet"
        rows = len(pd.read_parquet(path))
        assert session.read.parquet(str(path)).count() == rows
        assert len(dd.read_parquet(str(path)).compute()) == rows
        ((_, kind, *_),) = duckdb.sql(
            f"DESCRIBE SELECT event_timestamp FROM read_parquet('{path}')"
        ).fetchall()
        assert kind == "TIMESTAMP WITH TIME ZONE"  # microseconds, UTC


def invoke(*args: str):
    return CliRunner().invoke(app, ["features", "build", *args])


def test_cli_builds_with_spark_the_snapshot_pandas_gives(
    make_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    generate_into_home(settings, products=3, days=40, seed=2)
    monkeypatch.setenv("PRICING_HOME", str(settings.home_dir))
    monkeypatch.setenv("PRICING_SPARK__MASTER", LOCAL.master)
    get_settings.cache_clear()
    build_features(settings)
    ops.apply(settings)
    expected = create_snapshot(settings)

    result = invoke("--engine", "spark", "--json")
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout.strip().splitlines()[-1])
    assert built.pop("seconds") > 0
    assert built == {"engine": "spark", "grain": "daily", "rows": dict.fromkeys(VIEWS, 120)}
    # Feast's DuckDB join over the Spark files: the same rows (floats to 1e-9, so not the
    # same content hash: the engines sum a moving window in different orders)
    pd.testing.assert_frame_equal(
        load_snapshot(settings, create_snapshot(settings).snapshot),
        load_snapshot(settings, expected.snapshot),
        check_exact=False,
        rtol=1e-9,
        atol=1e-9,
    )

    refused = invoke("--engine", "dask")
    assert refused.exit_code == 2 and "choose from pandas, spark" in refused.stderr
