"""Ingestion: load -> map -> validate -> canonical batch -> merge -> atomic replace.

Validation happens entirely in memory before anything is written, so a rejected file leaves
every previously ingested byte as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from pricing.data.canonical import batch_from_rows, merge_batch
from pricing.data.grain import GrainError, infer_grain
from pricing.data.home import HomeData
from pricing.data.loaders import read_raw
from pricing.data.mapping import apply_mapping, parse_map_specs, seed_mapping
from pricing.data.schemas import KEY, TABLES, CanonicalBatch, empty_table
from pricing.data.validation import validate_input


@dataclass(frozen=True)
class IngestSummary:
    """What one ingest added (the ``--json`` payload of ``pricing data ingest``)."""

    rows: int
    products: int
    locations: int
    freq: str
    start: str
    end: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def rows_from_file(
    path: str | Path, map_specs: Iterable[str] = (), s3_endpoint_url: str | None = None
) -> pd.DataFrame:
    """Load a file and map its columns to canonical input names (seed format if no map)."""
    raw = read_raw(path, s3_endpoint_url)
    specs = list(map_specs)
    mapping = parse_map_specs(specs) if specs else seed_mapping(raw.columns)
    return validate_input(apply_mapping(raw, mapping), source=str(path))


def check_grain(home: HomeData, grain: str) -> None:
    """Refuse a second grain in one home: feature windows are counted in periods."""
    stored = home.grain
    if stored is not None and stored != grain:
        raise GrainError(
            f"this home ({home.data_dir.parent}) holds {stored} data and the input is {grain}; "
            "use another PRICING_HOME for data of another grain"
        )


def store_batch(
    home: HomeData, batch: CanonicalBatch, source: str, replace: bool = False
) -> IngestSummary:
    """Merge a batch into the home (or replace its data) and write atomically."""
    if replace:
        existing = {name: empty_table(name) for name in TABLES}
        meta: dict = {}
    else:
        check_grain(home, batch.freq)
        existing, meta = home.read_all(), home.meta()
    merged = merge_batch(existing, batch)
    sources = [*meta.get("sources", []), {"source": source, "rows": len(batch.sales)}]
    home.replace(merged, {"grain": batch.freq, "sources": sources})
    return summarize(batch)


def summarize(batch: CanonicalBatch) -> IngestSummary:
    sales = batch.sales
    return IngestSummary(
        rows=len(sales),
        products=int(sales["product_id"].nunique()),
        locations=int(sales["location_id"].nunique()),
        freq=batch.freq,
        start=sales["date"].min().strftime("%Y-%m-%d"),
        end=sales["date"].max().strftime("%Y-%m-%d"),
    )


def batch_from_valid_rows(rows: pd.DataFrame) -> CanonicalBatch:
    grain = infer_grain(rows["date"], rows[KEY])
    return batch_from_rows(rows, grain, pd.Timestamp.now(tz="UTC").floor("us"))


def ingest_file(
    home: HomeData,
    path: str | Path,
    map_specs: Iterable[str] = (),
    s3_endpoint_url: str | None = None,
) -> IngestSummary:
    """``pricing data ingest PATH [--map ...]``: validate everything, then store."""
    batch = batch_from_valid_rows(rows_from_file(path, map_specs, s3_endpoint_url))
    return store_batch(home, batch, source=str(path))
