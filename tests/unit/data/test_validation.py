"""Row-level validation: every bad cell is reported with its row, column and reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.data.validation import Issue, ValidationError, validate_input


def _frame(**overrides: list) -> pd.DataFrame:
    """A clean three-row input (text cells, as read from a CSV) with some columns replaced."""
    columns = {
        "product_id": ["p1", "p1", "p2"],
        "date": ["2024-01-01", "2024-01-02", "2024-01-01"],
        "units": ["3", "0", "7"],
        "price": ["2.50", "2.75", "9.99"],
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


def _issues(frame: pd.DataFrame) -> list[Issue]:
    with pytest.raises(ValidationError) as caught:
        validate_input(frame, source="sales.csv")
    return caught.value.issues


def _only(frame: pd.DataFrame) -> Issue:
    issues = _issues(frame)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


@pytest.mark.parametrize("column", ["product_id", "date", "units", "price"])
def test_missing_required_column_is_named(column: str) -> None:
    issue = _only(_frame().drop(columns=[column]))
    assert issue.row is None
    assert issue.column == column
    assert "missing required column" in issue.reason
    assert str(issue).startswith("file, column")


def test_a_header_without_rows_is_refused_clearly() -> None:
    issue = _only(_frame().iloc[0:0])
    assert issue.row is None and "no data rows" in issue.reason


def test_unparsable_date() -> None:
    issue = _only(_frame(date=["2024-01-01", "not a date", "2024-01-01"]))
    assert (issue.row, issue.column, issue.reason) == (2, "date", "unparsable date")
    assert issue.value == "not a date"


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("-1.5", "must be positive"),
        ("0", "must be positive"),
        ("NaN", "not a number"),
        ("", "missing value"),
        ("   ", "missing value"),
        ("abc", "not a number"),
    ],
)
def test_bad_price(cell: str, reason: str) -> None:
    issue = _only(_frame(price=["2.50", "2.75", cell]))
    assert (issue.row, issue.column, issue.reason) == (3, "price", reason)


def test_numeric_nan_price_from_parquet_is_missing() -> None:
    frame = _frame(price=[2.5, np.nan, 9.99])
    issue = _only(frame)
    assert (issue.row, issue.column, issue.reason) == (2, "price", "missing value")


def test_non_numeric_units() -> None:
    issue = _only(_frame(units=["3", "three", "7"]))
    assert (issue.row, issue.column, issue.reason) == (2, "units", "not a number")
    assert issue.value == "three"


def test_negative_units() -> None:
    issue = _only(_frame(units=["-1", "0", "7"]))
    assert (issue.row, issue.column, issue.reason) == (1, "units", "must not be negative")


def test_duplicate_key_reports_both_rows() -> None:
    frame = _frame(date=["2024-01-01", "2024-01-02", "2024-01-01"], product_id=["p1", "p1", "p1"])
    issues = _issues(frame)
    assert [(i.row, i.column) for i in issues] == [(1, "date"), (3, "date")]
    assert all("duplicate key" in i.reason for i in issues)


def test_same_date_in_other_location_is_not_a_duplicate() -> None:
    frame = _frame(
        product_id=["p1", "p1", "p1"],
        date=["2024-01-01"] * 3,
        location_id=["north", "south", "east"],
    )
    assert len(validate_input(frame)) == 3


@pytest.mark.parametrize("cell", ["1.5", "-0.1"])
def test_promo_outside_unit_interval(cell: str) -> None:
    issue = _only(_frame(promo=["0", "1", cell]))
    assert (issue.row, issue.column, issue.reason) == (3, "promo", "must be between 0 and 1")


def test_every_bad_row_is_reported_not_just_the_first() -> None:
    frame = _frame(
        date=["2024-01-01", "bogus", "2024-01-01"],
        units=["-4", "0", "7"],
        price=["2.50", "2.75", "0"],
    )
    issues = _issues(frame)
    assert [(i.row, i.column) for i in issues] == [(1, "units"), (2, "date"), (3, "price")]


def test_error_message_names_source_row_column_and_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_input(_frame(price=["2.50", "-2", "x"]), source="sales.csv")
    message = str(caught.value)
    assert message.startswith("sales.csv: rejected, 2 problem(s)")
    assert "row 2, column 'price' (value '-2'): must be positive" in message
    assert "row 3, column 'price' (value 'x'): not a number" in message


def test_long_reports_are_truncated_but_counted() -> None:
    n = 60
    frame = pd.DataFrame(
        {
            "product_id": [f"p{i}" for i in range(n)],
            "date": ["2024-01-01"] * n,
            "units": ["1"] * n,
            "price": ["-1"] * n,
        }
    )
    with pytest.raises(ValidationError) as caught:
        validate_input(frame)
    assert len(caught.value.issues) == n
    assert "... and 10 more" in str(caught.value)


def test_clean_frame_passes_and_is_typed() -> None:
    out = validate_input(_frame(product_id=[" p1 ", "p1", "p2"]))
    assert len(out) == 3
    assert isinstance(out["date"].dtype, pd.DatetimeTZDtype)
    assert str(out["date"].dt.tz) == "UTC"
    assert out["date"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert out["units"].dtype == "float64"
    assert out["price"].dtype == "float64"
    assert out["units"].tolist() == [3.0, 0.0, 7.0]
    assert out["product_id"].tolist() == ["p1", "p1", "p2"]


def test_location_defaults_to_all() -> None:
    out = validate_input(_frame())
    assert out["location_id"].tolist() == ["all", "all", "all"]
    blanks = validate_input(_frame(location_id=["north", "", None]))
    assert blanks["location_id"].tolist() == ["north", "all", "all"]
