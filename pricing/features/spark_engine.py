"""The Spark feature engine: the home's Parquet files in, one Parquet file per view out.

Spark reads each canonical table from the files of its current version (an explicit list, so
no partition discovery), computes the views (``spark_views``) and writes them; only row counts
come back to the driver. Paths are local: on a cluster, the home must be on storage every
executor mounts at the same path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from pricing.data.home import HomeData
from pricing.data.schemas import KEY, TABLES
from pricing.features import spark_views
from pricing.spark.config import SparkSettings
from pricing.spark.session import spark_session

#: Spark's type for each canonical dtype (timestamps: UTC instants, microseconds).
SPARK_TYPES: dict[str, DataType] = {
    "string": StringType(),
    "float64": DoubleType(),
    "bool": BooleanType(),
    "datetime64[us, UTC]": TimestampType(),
}

#: The canonical tables the views are computed from.
VIEW_INPUTS = ("sales", "inventory", "competitor_prices")


def read_table(spark: SparkSession, files: list[Path], name: str) -> DataFrame:
    """Canonical table ``name`` from its Parquet files (empty if none), NaN read as null: to
    pandas both are the one missing value."""
    columns = TABLES[name]
    schema = StructType([StructField(c, SPARK_TYPES[dtype]) for c, dtype in columns.items()])
    if files:
        frame = spark.read.schema(schema).parquet(*(str(path) for path in files))
    else:
        frame = spark.createDataFrame([], schema)
    return frame.select(
        *(
            F.when(~F.isnan(c), F.col(c)).alias(c) if dtype == "float64" else F.col(c)
            for c, dtype in columns.items()
        )
    )


def write_view(frame: DataFrame, path: Path) -> int:
    """Replace ``path`` with one Parquet file of ``frame``'s rows, in its order; its rows.

    One file, as the pandas engine writes, not Spark's folder of part files: DuckDB (Feast's
    default offline store, through ibis) and Dask read a folder too, but a folder cannot
    replace a table in one rename (the previous one may be the pandas engine's file). Spark
    writes its partitions in parallel into a staging folder beside ``path``; the part files
    are joined in partition order (so a frame ordered across its partitions stays ordered)
    with the pandas schema metadata Spark does not write (so pandas reads the keys back as
    ``string``, as from the pandas engine's files) and renamed into place: readers see the
    old table or the new.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        written = staging / "spark"
        frame.write.parquet(str(written))
        # part-00003-<uuid>...: the number is the partition's
        parts = sorted(written.glob("part-*.parquet"), key=lambda part: int(part.name[5:10]))
        target = staging / path.name
        rows = join_with_pandas_metadata(parts, target)
        os.replace(target, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return rows


def join_with_pandas_metadata(sources: list[Path], target: Path) -> int:
    """Copy Parquet files of one schema into one, row group by row group, adding pandas'
    schema metadata (strings as ``string``); its rows. Memory: one row group, never the
    table."""
    schema = pq.read_schema(sources[0])
    empty = schema.empty_table().to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    pandas_schema = pa.Schema.from_pandas(empty, preserve_index=False)
    metadata = {**(schema.metadata or {}), **pandas_schema.metadata}
    rows = 0
    with pq.ParquetWriter(target, schema.with_metadata(metadata)) as out:
        for source in sources:
            reader = pq.ParquetFile(source)
            for group in range(reader.num_row_groups):
                out.write_table(reader.read_row_group(group))
            rows += reader.metadata.num_rows
    return rows


class SparkEngine:
    """Spark, local or on a cluster (``Settings.spark``): the views computed where the data is,
    never gathered into the driver."""

    name = "spark"

    def __init__(self, spark: SparkSettings, verbose: bool = False) -> None:
        self.spark = spark
        self.verbose = verbose

    def write(self, home: HomeData, grain: str, out: Path) -> dict[str, int]:
        spark = spark_session(self.spark, self.verbose)
        tables = {name: read_table(spark, home.files(name), name) for name in VIEW_INPUTS}
        # Series in key ranges: the windows' one sort then orders the whole view, and its
        # partitions are written in parallel, as they are
        by_series = tables["sales"].repartitionByRange(*KEY)
        sales_path = out / "sales_stats.parquet"
        rows = {"sales_stats": write_view(spark_views.sales_stats(by_series), sales_path)}
        # the other views join the written file (a few of its columns), not a cached copy
        sales = spark.read.parquet(str(sales_path))
        views = {
            "inventory_stats": spark_views.inventory_stats(tables["inventory"], sales, grain),
            "competitor_stats": spark_views.competitor_stats(tables["competitor_prices"], sales),
        }
        for view, frame in views.items():
            # one sorted partition: a range shuffle would sample, so compute, the join twice
            ordered = frame.repartition(1).sortWithinPartitions(*spark_views.VIEW_KEY)
            rows[view] = write_view(ordered, out / f"{view}.parquet")
        return rows
