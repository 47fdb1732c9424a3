"""The process's Spark session, built from Settings and quiet unless verbose."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pricing.spark.config import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_session(spark: SparkSettings, verbose: bool = False) -> SparkSession:
    """``getOrCreate`` with our options: the session Feast's Spark store starts in this process
    is the same one (Spark keeps one active session per JVM)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("pricing")
    for key, value in spark.spark_conf().items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("INFO" if verbose else "ERROR")
    return session
