"""Spark master, memory and shuffle partitions: the ``spark`` sub-model of Settings.

The same options configure the session our Spark feature engine starts and the one Feast's
Spark offline store starts, so ``local[*]`` on a laptop and a ``spark://`` or ``k8s://``
cluster differ by configuration alone (``PRICING_SPARK__MASTER=spark://head:7077``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SparkSettings(BaseModel):
    """``PRICING_SPARK`` (a JSON object) or ``PRICING_SPARK__<FIELD>`` variables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str = Field(
        "local[*]", description="Spark master URL: local[*], spark://host:7077, k8s://https://..."
    )
    driver_memory: str = Field(
        "2g", description="spark.driver.memory (in local mode, the only JVM's heap)."
    )
    executor_memory: str = Field("2g", description="spark.executor.memory on a cluster.")
    shuffle_partitions: int = Field(
        8,
        ge=1,
        description="spark.sql.shuffle.partitions: Spark's default of 200 is far too many for "
        "a few cores; raise it with the cluster (2-3 per executor core).",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="Any other spark.* options, passed as they are (they win over the above).",
    )

    def spark_conf(self) -> dict[str, str]:
        """Every option as ``spark.*`` keys, for SparkSession.builder and Feast's spark_conf."""
        return {
            "spark.master": self.master,
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.session.timeZone": "UTC",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",  # progress is ours to show
            # pandas <-> Spark through Arrow in the JVM: Feast's entity upload then needs no
            # Python worker on the executors
            "spark.sql.execution.arrow.pyspark.enabled": "true",
            # Parquet written by pandas/pyarrow carries microsecond timestamps (we write them
            # so); Spark reads them as TIMESTAMP and writes the same precision back.
            "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
            **self.conf,
        }
