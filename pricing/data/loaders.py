"""Read a raw table (CSV, CSV.gz or Parquet) from a local path or an ``s3://`` URL.

Values are read as text where the format allows, so validation can report the exact cell
that failed to parse instead of a type error from the reader.
"""

from __future__ import annotations

from pathlib import Path

import fsspec
import pandas as pd
import pyarrow.parquet as pq


class LoadError(ValueError):
    """The file cannot be read at all (missing, unreadable, unknown format)."""


def _format_of(path: str) -> str:
    lowered = path.lower()
    if lowered.endswith((".parquet", ".pq")):
        return "parquet"
    if lowered.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return "csv"
    raise LoadError(f"{path}: unknown file format (expected .csv, .csv.gz or .parquet)")


def read_raw(path: str | Path, s3_endpoint_url: str | None = None) -> pd.DataFrame:
    """Load one file into a DataFrame with its original column names and row order."""
    source = str(path)
    kind = _format_of(source)
    if "://" not in source and not Path(source).exists():
        raise LoadError(f"{source}: no such file")
    options = {}
    if source.startswith("s3://") and s3_endpoint_url:
        options = {"client_kwargs": {"endpoint_url": s3_endpoint_url}}
    try:
        with fsspec.open(source, "rb", compression="infer", **options) as handle:
            if kind == "parquet":
                return pq.read_table(handle).to_pandas()
            sep = "\t" if source.lower().endswith(".tsv") else ","
            return pd.read_csv(handle, dtype=str, keep_default_na=False, sep=sep)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, LoadError):
            raise
        raise LoadError(f"{source}: cannot read ({exc})") from exc
