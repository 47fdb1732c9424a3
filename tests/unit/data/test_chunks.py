"""Chunked validation reports rows by their place in the whole input, like one file would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.data.chunks import MAX_ISSUES, SeenKeys, validate_chunks
from pricing.data.mapping import apply_mapping, seed_mapping
from pricing.data.validation import ValidationError, validate_input

COLUMNS = ["Product_ID", "Date", "Sales", "Price"]


def _raw(rows: list[tuple[str, str, str, str]], columns: list[str] = COLUMNS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _days(product: str, start: str, count: int) -> list[tuple[str, str, str, str]]:
    dates = pd.date_range(start, periods=count, freq="D").strftime("%Y-%m-%d")
    return [(product, day, str(n), "2.50") for n, day in enumerate(dates)]


def _chunked(rows: list[tuple[str, str, str, str]], size: int) -> list[pd.DataFrame]:
    return [_raw(rows[at : at + size]) for at in range(0, len(rows), size)]


def test_chunks_validate_like_the_whole_table() -> None:
    rows = _days("p1", "2024-01-01", 7) + _days("p2", "2024-01-01", 6)
    chunks = list(validate_chunks(_chunked(rows, 4), [], "db"))
    assert [len(chunk) for chunk in chunks] == [4, 4, 4, 1]
    pd.testing.assert_frame_equal(
        pd.concat(chunks, ignore_index=True),
        validate_input(apply_mapping(_raw(rows), seed_mapping(COLUMNS)), "db"),
    )


def test_issues_carry_global_row_numbers_from_every_chunk() -> None:
    rows = _days("p1", "2024-01-01", 12)
    rows[5] = ("p1", "2024-01-06", "ten", "2.50")  # row 6, second chunk
    rows[10] = ("p1", "not-a-date", "1", "-1")  # row 11, third chunk
    consumed: list[pd.DataFrame] = []
    with pytest.raises(ValidationError) as caught:
        for chunk in validate_chunks(_chunked(rows, 4), [], "db"):
            consumed.append(chunk)
    assert [(i.row, i.column, i.value, i.reason) for i in caught.value.issues] == [
        (6, "units", "ten", "not a number"),
        (11, "date", "not-a-date", "unparsable date"),
        (11, "price", "-1", "must be positive"),
    ]
    assert [len(chunk) for chunk in consumed] == [4]  # nothing is yielded after a bad chunk
    assert "row 11, column 'price' (value '-1'): must be positive" in str(caught.value)


def test_a_key_repeated_in_a_later_chunk_is_a_duplicate() -> None:
    rows = [*_days("p1", "2024-01-01", 6), ("p1", "2024-01-02", "9", "3.00")]
    with pytest.raises(ValidationError) as caught:
        list(validate_chunks(_chunked(rows, 3), [], "db"))
    [issue] = caught.value.issues
    assert (issue.row, issue.column, issue.value) == (7, "date", "2024-01-02")
    assert issue.reason == "duplicate key (product_id, location_id, date), as row 2"


def test_map_specs_apply_to_every_chunk() -> None:
    raw = _raw(_days("p1", "2024-01-01", 5), ["sku", "day", "qty", "cost"])
    chunks = [raw.iloc[:2], raw.iloc[2:]]
    specs = ["product_id=sku", "date=day", "units=qty", "price=cost"]
    valid = pd.concat(validate_chunks(chunks, specs, "db"), ignore_index=True)
    assert valid["units"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_a_missing_column_is_reported_once() -> None:
    chunks = _chunked(_days("p1", "2024-01-01", 6), 2)
    specs = ["product_id=Product_ID", "date=Date", "units=Sales"]  # no price
    with pytest.raises(ValidationError) as caught:
        list(validate_chunks(chunks, specs, "db"))
    assert [(i.row, i.column, i.reason) for i in caught.value.issues] == [
        (None, "price", "missing required column")
    ]


def test_reading_stops_after_too_many_issues() -> None:
    bad = [("", "2024-01-01", "1", "1")] * 400
    read: list[int] = []

    def chunks():
        for at in range(0, 4000, 400):
            read.append(at)
            yield _raw(bad)

    with pytest.raises(ValidationError) as caught:
        list(validate_chunks(chunks(), [], "db"))
    issues = caught.value.issues
    assert len(read) < 10
    assert len(issues) > MAX_ISSUES
    assert (issues[-1].row, issues[-1].reason) == (
        None,
        f"stopped reading after row {len(read) * 400}",
    )


def test_seen_keys_finds_earlier_rows_across_runs() -> None:
    seen = SeenKeys()
    for start in range(0, 100, 10):
        hashes = np.arange(start, start + 10, dtype=np.uint64) * 7919
        assert not seen.earlier_rows(hashes).any()
        seen.add(hashes, np.arange(start + 1, start + 11))
    probe = np.array([0, 7919 * 42, 5, 7919 * 99], dtype=np.uint64)
    assert seen.earlier_rows(probe).tolist() == [1, 43, 0, 100]
