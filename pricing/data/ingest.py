"""Ingestion: load -> map -> validate -> canonical batch -> merge by month -> atomic swap.

Validation finishes before anything is written, so a rejected file leaves every previously
ingested byte as it was; the merge writes only the month partitions the batch touches.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from pricing.data.canonical import batch_from_rows, products_from_rows
from pricing.data.grain import GrainError, infer_grain
from pricing.data.home import HomeData
from pricing.data.loaders import read_raw
from pricing.data.mapping import apply_mapping, parse_map_specs, seed_mapping
from pricing.data.monthly_merge import (
    DATED,
    Incoming,
    incoming_batch,
    merge_into_home,
    series_spans,
)
from pricing.data.partitioned import MONTH_GLOB, month_partitions, write_partition_file
from pricing.data.schemas import KEY, TABLES, CanonicalBatch
from pricing.data.validation import Issue, ValidationError, validate_input


@dataclass(frozen=True)
class IngestSummary:
    """What one ingest added (the ``--json`` payload of ``pricing data ingest``)."""

    rows: int
    products: int
    locations: int
    freq: str
    start: str
    end: str
    #: Table partitions (months) the ingest wrote; the others were kept byte for byte.
    partitions_written: int

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
    """Merge a batch into the home (or replace its data), month by month, atomically."""
    return store_incoming(home, incoming_batch(batch), source, len(batch.sales), replace)


def store_incoming(
    home: HomeData, incoming: Incoming, source: str, rows: int, replace: bool = False
) -> IngestSummary:
    if not replace:
        check_grain(home, incoming.grain)
        convert_legacy(home)
    meta = {} if replace else home.meta()
    sources = [*meta.get("sources", []), {"source": source, "rows": rows}]
    new_meta = {"grain": incoming.grain, "sources": sources}
    written = merge_into_home(home, incoming, keep=not replace, meta=new_meta)
    return summarize(incoming, rows, written)


def convert_legacy(home: HomeData) -> None:
    """A home written before partitioning (one file per table) is partitioned once, as is."""
    if any(home.legacy_path(name).exists() for name in TABLES):
        home.replace(home.read_all(), home.meta())


def summarize(incoming: Incoming, rows: int, written: dict[str, list[str]]) -> IngestSummary:
    spans = incoming.spans
    return IngestSummary(
        rows=rows,
        products=int(spans["product_id"].nunique()),
        locations=int(spans["location_id"].nunique()),
        freq=incoming.grain,
        start=spans["first"].min().strftime("%Y-%m-%d"),
        end=spans["last"].max().strftime("%Y-%m-%d"),
        partitions_written=sum(len(parts) for parts in written.values()),
    )


def grain_of(rows: pd.DataFrame, home_grain: str | None) -> str:
    """The rows' grain; one period's rows (a daily load) take the grain of the home they go
    into, since a single date cannot tell it."""
    if home_grain is not None and rows["date"].nunique() == 1:
        return home_grain
    return infer_grain(rows["date"], rows[KEY])


def batch_from_valid_rows(rows: pd.DataFrame, home_grain: str | None = None) -> CanonicalBatch:
    now = pd.Timestamp.now(tz="UTC").floor("us")
    return batch_from_rows(rows, grain_of(rows, home_grain), now)


def store_row_chunks(home: HomeData, chunks: Iterable[pd.DataFrame], source: str) -> IngestSummary:
    """Store validated input rows that arrive in chunks (a database cursor).

    Each chunk is staged to Parquet by month as it comes, so neither the reader nor the merge
    holds the whole result: the merge builds one month's canonical rows at a time, and only
    the key, date and product columns are read across all rows (grain, spans, the products'
    median price). Nothing reaches the home unless every chunk was valid: an error raised by
    ``chunks`` leaves it untouched.
    """
    home.data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=home.data_dir.parent))
    try:
        rows = 0
        for number, chunk in enumerate(chunks):
            rows += len(chunk)
            for month, part in month_partitions(chunk).items():
                write_partition_file(part, staging / month / f"chunk-{number:06d}.parquet")
        if not rows:
            raise ValidationError([Issue(None, "*", None, "no rows to ingest")], source)
        return store_incoming(home, staged_incoming(staging, home.grain), source, rows)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def staged_incoming(staging: Path, home_grain: str | None) -> Incoming:
    """Staged validated rows as an :class:`Incoming`, read back a month at a time."""
    files = [str(path) for path in sorted(staging.glob(f"{MONTH_GLOB}/*.parquet"))]
    dataset = ds.dataset(files, format="parquet")
    keys = dataset.to_table(columns=[*KEY, "date"]).to_pandas()
    grain = grain_of(keys, home_grain)
    attributes = [c for c in ("category", "unit_cost", "pack_size") if c in dataset.schema.names]
    products = products_from_rows(
        dataset.to_table(columns=["product_id", "price", *attributes]).to_pandas()
    )
    ingested_at = pd.Timestamp.now(tz="UTC").floor("us")

    def month(name: str) -> dict[str, pd.DataFrame]:
        parts = sorted((staging / name).glob("*.parquet"))
        rows = pd.concat([pd.read_parquet(path) for path in parts], ignore_index=True)
        batch = batch_from_rows(rows, grain, ingested_at)
        return {table: getattr(batch, table) for table in DATED}

    return Incoming(
        grain=grain,
        months={path.name for path in staging.glob(MONTH_GLOB)},
        spans=series_spans(keys),
        products=products,
        ingested_at=ingested_at,
        month=month,
    )


def ingest_file(
    home: HomeData,
    path: str | Path,
    map_specs: Iterable[str] = (),
    s3_endpoint_url: str | None = None,
) -> IngestSummary:
    """``pricing data ingest PATH [--map ...]``: validate everything, then store."""
    batch = batch_from_valid_rows(rows_from_file(path, map_specs, s3_endpoint_url), home.grain)
    return store_batch(home, batch, source=str(path))
