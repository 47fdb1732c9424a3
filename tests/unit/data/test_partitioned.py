"""Month-partitioned canonical tables: only touched months are written, atomically."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pricing.data import partitioned
from pricing.data.home import HomeData
from pricing.data.ingest import ingest_file, rows_from_file, store_row_chunks
from pricing.data.validation import ValidationError


def _csv(tmp_path: Path, name: str, days: pd.DatetimeIndex, products: int = 2) -> Path:
    lines = ["Product_ID,Date,Sales,Price,Competitor_Price,Inventory"]
    for day in days:
        for p in range(products):
            lines.append(f"p{p},{day:%Y-%m-%d},{3 + day.day % 5},2.50,2.40,{40 - day.day}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def home(tmp_path: Path) -> HomeData:
    return HomeData(tmp_path / "home" / "data")


@pytest.fixture
def two_months(tmp_path: Path, home: HomeData) -> HomeData:
    ingest_file(home, _csv(tmp_path, "jan_feb.csv", pd.date_range("2024-01-01", "2024-02-29")))
    return home


def _files(home: HomeData) -> dict[str, tuple[bytes, int]]:
    """Every partition file of every table: its bytes and inode."""
    return {
        f"{name}/{path.parent.name}": (path.read_bytes(), path.stat().st_ino)
        for name in ("sales", "inventory", "competitor_prices")
        for path in home.files(name)
    }


def test_tables_are_month_partitions_readable_file_by_file(two_months: HomeData) -> None:
    files = two_months.files("sales")
    assert [f.parent.name for f in files] == ["month=2024-01", "month=2024-02"]
    alone = pd.read_parquet(files[0])  # every file carries every column
    assert set(alone["date"].dt.month) == {1}
    assert len(two_months.read("sales")) == 2 * 60
    assert str(alone["date"].dtype) == "datetime64[us, UTC]"  # Spark reads microseconds


def test_new_periods_write_only_their_month_and_earlier_months_stay_byte_identical(
    tmp_path: Path, two_months: HomeData
) -> None:
    before = _files(two_months)
    march = _csv(tmp_path, "mar.csv", pd.date_range("2024-03-01", "2024-03-10"))
    summary = ingest_file(two_months, march)
    after = _files(two_months)
    assert summary.partitions_written == 3  # March of each table; products (same) linked
    for key, (data, inode) in before.items():
        assert after[key] == (data, inode)  # linked, not rewritten
    assert {k for k in after if k not in before} == {
        "sales/month=2024-03",
        "inventory/month=2024-03",
        "competitor_prices/month=2024-03",
    }
    assert len(two_months.read("sales")) == 2 * 70


def test_a_one_day_correction_rewrites_only_the_month_it_falls_in(
    tmp_path: Path, two_months: HomeData
) -> None:
    before = _files(two_months)
    fix = tmp_path / "fix.csv"
    fix.write_text(
        "Product_ID,Date,Sales,Price,Competitor_Price,Inventory\np1,2024-02-10,99,2.5,2.4,1\n"
    )
    ingest_file(two_months, fix)
    after = _files(two_months)
    changed = {k for k in before if after[k] != before[k]}
    assert changed == {"sales/month=2024-02", "inventory/month=2024-02",
                       "competitor_prices/month=2024-02"}  # fmt: skip
    sales = two_months.read("sales")
    assert sales.loc[(sales["product_id"] == "p1") & (sales["date"].dt.day == 10)
                     & (sales["date"].dt.month == 2), "units_sold"].item() == 99  # fmt: skip


def test_an_interrupted_commit_leaves_the_current_version(
    tmp_path: Path, two_months: HomeData, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _files(two_months)
    version = two_months.table_path("sales").resolve()
    calls = {"n": 0}
    real = partitioned.write_partition_file

    def fail_on_second(frame: pd.DataFrame, path: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real(frame, path)

    monkeypatch.setattr(partitioned, "write_partition_file", fail_on_second)
    april = _csv(tmp_path, "apr_may.csv", pd.date_range("2024-04-01", "2024-05-31"))
    with pytest.raises(OSError, match="disk full"):
        ingest_file(two_months, april)
    assert two_months.table_path("sales").resolve() == version
    assert _files(two_months) == before
    assert not list(two_months.data_dir.glob(".versions/*/.*.tmp"))  # staging cleaned up


def test_a_home_written_before_partitioning_is_read_then_converted(
    tmp_path: Path, home: HomeData
) -> None:
    ingest_file(home, _csv(tmp_path, "jan.csv", pd.date_range("2024-01-01", "2024-01-20")))
    tables = home.read_all()
    for name, frame in tables.items():  # the old layout: one file per table
        path = home.legacy_path(name)
        frame.to_parquet(path)
        target = home.table_path(name).resolve()
        home.table_path(name).unlink()
        os.rename(target, target.with_name("gone"))
    assert home.files("sales") == [home.legacy_path("sales")]
    pd.testing.assert_frame_equal(home.read("sales"), tables["sales"])
    ingest_file(home, _csv(tmp_path, "feb.csv", pd.date_range("2024-01-21", "2024-02-05")))
    assert not home.legacy_path("sales").exists()
    assert len(home.read("sales")) == 2 * 36


def test_chunked_rows_store_like_one_file_and_a_bad_chunk_stores_nothing(
    tmp_path: Path, home: HomeData
) -> None:
    path = _csv(tmp_path, "all.csv", pd.date_range("2024-01-01", "2024-02-29"))
    rows = rows_from_file(path)
    whole = HomeData(tmp_path / "whole" / "data")
    ingest_file(whole, path)

    def chunks(fail_after: int | None = None) -> Iterator[pd.DataFrame]:
        for number, start in enumerate(range(0, len(rows), 25)):
            if number == fail_after:
                raise ValidationError([], "db")
            yield rows.iloc[start : start + 25]

    with pytest.raises(ValidationError):
        store_row_chunks(home, chunks(fail_after=3), "db")
    assert not home.exists() and not list(home.data_dir.parent.glob(".ingest-*"))
    store_row_chunks(home, chunks(), "db")
    for name in ("sales", "inventory", "competitor_prices", "products"):
        ours, theirs = home.read(name), whole.read(name)
        pd.testing.assert_frame_equal(
            ours.drop(columns="ingested_timestamp", errors="ignore"),
            theirs.drop(columns="ingested_timestamp", errors="ignore"),
        )


def test_a_month_nobody_reported_gets_masked_rows_and_old_gaps_keep_their_stamp(
    tmp_path: Path, home: HomeData
) -> None:
    january = pd.date_range("2024-01-01", "2024-01-31").delete([9, 19])  # two days unreported
    ingest_file(home, _csv(tmp_path, "jan.csv", january))
    first_gaps = home.read("sales").query("not observed")
    ingest_file(home, _csv(tmp_path, "mar.csv", pd.date_range("2024-03-01", "2024-03-05")))
    sales = home.read("sales")
    february = sales[sales["date"].dt.month == 2]
    assert len(february) == 2 * 29 and not february["observed"].any()
    assert february["units_sold"].isna().all()
    kept = sales.merge(first_gaps, on=["product_id", "location_id", "date"], suffixes=("", "_1"))
    assert len(kept) == len(first_gaps) > 0
    assert (kept["ingested_timestamp"] == kept["ingested_timestamp_1"]).all()
    assert (february["ingested_timestamp"] > first_gaps["ingested_timestamp"].max()).all()


def test_two_batches_or_one_give_the_same_tables(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", "2024-04-30", freq="7D")  # weekly
    whole = HomeData(tmp_path / "one" / "data")
    ingest_file(whole, _csv(tmp_path, "all.csv", days))
    split = HomeData(tmp_path / "two" / "data")
    ingest_file(split, _csv(tmp_path, "a.csv", days[:8]))
    ingest_file(split, _csv(tmp_path, "b.csv", days[11:]))  # three weeks missing between
    ingest_file(split, _csv(tmp_path, "c.csv", days[8:11]))  # then reported late
    for name in ("sales", "inventory", "competitor_prices", "products"):
        pd.testing.assert_frame_equal(
            whole.read(name).drop(columns="ingested_timestamp", errors="ignore"),
            split.read(name).drop(columns="ingested_timestamp", errors="ignore"),
        )
    assert split.read("sales")["observed"].all()


def test_month_names_numbers_and_bounds_agree() -> None:
    times = ["2023-12-31 23:00", "2024-01-01 00:00", "2024-02-29 12:00"]
    stamps = pd.Series(pd.to_datetime(times, utc=True))
    numbers = partitioned.month_numbers(stamps)
    names = [partitioned.month_name(int(n)) for n in numbers]
    assert names == ["month=2023-12", "month=2024-01", "month=2024-02"]
    frame = pd.DataFrame({"date": stamps, "x": [1, 2, 3]})
    assert list(partitioned.month_partitions(frame)) == names  # one format, both ways
    start, end = partitioned.month_bounds("month=2024-02")
    assert start == pd.Timestamp("2024-02-01", tz="UTC")
    assert end == pd.Timestamp("2024-03-01", tz="UTC") - pd.Timedelta(microseconds=1)


def test_new_versions_swap_in_together_or_not_at_all(home: HomeData) -> None:
    sales = pd.DataFrame({"date": pd.to_datetime(["2024-01-05"], utc=True)})
    with pytest.raises(RuntimeError), home.new_versions(["sales"], False, {"freq": "daily"}) as v:
        v.writers["sales"].write("month=2024-01", sales)
        raise RuntimeError("a later table failed")
    assert not home.table("sales").exists() and not (home.data_dir / "meta.json").exists()
    with home.new_versions(["sales"], False, {"freq": "daily"}) as versions:
        versions.writers["sales"].write("month=2024-01", sales)
    assert versions.written == {"sales": ["month=2024-01"]}
    assert list(home.table("sales").partitions()) == ["month=2024-01"]
    assert home.meta() == {"freq": "daily"}
