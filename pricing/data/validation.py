"""Row-level validation of mapped input: every bad cell is reported, not just the first.

Rows are numbered from 1 over the data rows (the header is not a row), so ``row 3`` is the
third record of the file (line 4 of a CSV with a header).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pricing.data.inputs import REQUIRED_INPUTS
from pricing.data.schemas import DEFAULT_LOCATION

TEXT_COLUMNS = ("product_id", "location_id", "category")
POSITIVE_COLUMNS = ("price", "competitor_price", "unit_cost", "pack_size")
NON_NEGATIVE_COLUMNS = ("units", "inventory")


@dataclass(frozen=True)
class Issue:
    """One rejected cell (``row`` is None for problems with the whole file)."""

    row: int | None
    column: str
    value: object
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        value = "" if self.row is None else f" (value {self.value!r})"
        return f"{where}, column {self.column!r}{value}: {self.reason}"


class ValidationError(ValueError):
    """The input was rejected; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue], source: str = "input") -> None:
        self.issues = issues
        self.source = source
        shown = "\n".join(f"  {issue}" for issue in issues[:50])
        more = f"\n  ... and {len(issues) - 50} more" if len(issues) > 50 else ""
        super().__init__(f"{source}: rejected, {len(issues)} problem(s):\n{shown}{more}")


def _numbers(values: pd.Series) -> pd.Series:
    """Parse numbers; anything unparsable becomes NaN (blank stays NaN too)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip()
    return pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")


def _report(issues: list[Issue], frame: pd.DataFrame, mask: pd.Series, column: str, reason: str):
    for index in np.flatnonzero(mask.to_numpy()):
        issues.append(Issue(int(index) + 1, column, frame[column].iloc[index], reason))


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


def validate_input(frame: pd.DataFrame, source: str = "input") -> pd.DataFrame:
    """Check and type a mapped input frame; raise :class:`ValidationError` listing all issues."""
    issues = [
        Issue(None, name, None, "missing required column")
        for name in REQUIRED_INPUTS
        if name not in frame.columns
    ]
    if issues:
        raise ValidationError(issues, source)
    if frame.empty:
        raise ValidationError([Issue(None, "*", None, "no data rows (only a header?)")], source)
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)

    for name in TEXT_COLUMNS:
        if name in frame:
            blank = _blank(frame[name])
            if name == "product_id":
                _report(issues, frame, blank, name, "empty id")
            out[name] = frame[name].astype("string").str.strip().mask(blank, pd.NA)
    if "location_id" not in out:
        out["location_id"] = DEFAULT_LOCATION
    out["location_id"] = out["location_id"].fillna(DEFAULT_LOCATION).astype("string")

    raw_dates = frame["date"]
    if pd.api.types.is_datetime64_any_dtype(raw_dates):
        dates = pd.to_datetime(raw_dates, utc=True)
    else:
        dates = pd.to_datetime(
            raw_dates.astype("string").str.strip(), utc=True, errors="coerce", format="mixed"
        )
    _report(issues, frame, dates.isna(), "date", "unparsable date")
    out["date"] = dates

    for name in POSITIVE_COLUMNS + NON_NEGATIVE_COLUMNS + ("promo", "stockout"):
        if name not in frame:
            continue
        values = _numbers(frame[name])
        if name == "stockout":
            text = frame[name].astype("string").str.strip().str.lower()
            values = values.fillna(text.map({"true": 1.0, "false": 0.0}).astype("float64"))
        blank = _blank(frame[name])
        required = name in REQUIRED_INPUTS
        unparsable = values.isna() & ~blank
        _report(issues, frame, unparsable, name, "not a number")
        if required:
            _report(issues, frame, blank, name, "missing value")
        finite = values.notna()
        if name in POSITIVE_COLUMNS:
            _report(issues, frame, finite & ~(values > 0), name, "must be positive")
            _report(issues, frame, finite & np.isinf(values), name, "must be finite")
        elif name in NON_NEGATIVE_COLUMNS:
            _report(issues, frame, finite & (values < 0), name, "must not be negative")
            _report(issues, frame, finite & np.isinf(values), name, "must be finite")
        else:
            _report(
                issues,
                frame,
                finite & ((values < 0) | (values > 1)),
                name,
                "must be between 0 and 1",
            )
        out[name] = values

    keyed = out[["product_id", "location_id", "date"]]
    duplicated = keyed.duplicated(keep=False) & keyed.notna().all(axis=1)
    _report(
        issues,
        frame.assign(date=frame["date"]),
        duplicated,
        "date",
        "duplicate key (product_id, location_id, date)",
    )
    if issues:
        issues.sort(key=lambda issue: (issue.row or 0, issue.column))
        raise ValidationError(issues, source)
    return out
