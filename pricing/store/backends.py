"""Feature-store backends: one class per backend behind one small interface, as Feast's own
stores are. Settings holds one of each kind; each renders its part of ``feature_store.yaml``
(and, for offline stores, the batch source Feast reads and the storage snapshots are saved in),
so no code branches on a name.

Pure configuration: nothing here imports Feast until a source is actually built.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pricing.spark.config import SparkSettings

REDIS_URL = re.compile(r"^(rediss?)://([^/:]+)(?::(\d+))?(?:/(\d+))?$")
_NODE = r"[^/:,]+(?::\d+)?"
#: The online store's URL: one node, or a Redis Cluster's comma-separated seed nodes.
REDIS_NODES_URL = re.compile(rf"^(rediss?)://({_NODE}(?:,{_NODE})*)(?:/(\d+))?$")


class Backend(BaseModel):
    """A backend's options; unknown keys are refused, so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------- online stores
class SqliteOnlineStore(Backend):
    """Feast's SQLite online store in the home's feature repo (the embedded default)."""

    type: Literal["sqlite"] = "sqlite"

    def feast_config(self, repo: Path) -> dict[str, Any]:
        return {"type": "sqlite", "path": str(repo / "online_store.db")}

    def unreachable(self, timeout: float) -> str | None:
        """A local file: always there."""
        return None


class RedisOnlineStore(Backend):
    """Feast's Redis online store, on one server or a Redis Cluster; keys are prefixed by the
    home's Feast project, and a cluster spreads them over its nodes by hash slot."""

    type: Literal["redis"] = "redis"
    url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="redis://host:port/db (rediss:// for TLS); for a cluster, one or more seed "
        "nodes, redis://host:port,host:port (database 0 only).",
    )
    cluster: bool = Field(
        False,
        description="A Redis Cluster: the client finds every node from the seeds in url.",
    )

    @model_validator(mode="after")
    def _check_url(self) -> RedisOnlineStore:
        _, nodes, db = redis_nodes(self.url)
        if self.cluster and db != 0:
            raise ValueError(f"a Redis Cluster has database 0 alone: drop /{db} from {self.url!r}")
        if not self.cluster and len(nodes) > 1:
            raise ValueError(
                f"{self.url!r} names several nodes: for a Redis Cluster set "
                '"cluster": true, else name one redis://host:port/db'
            )
        return self

    def feast_connection(self) -> str:
        """The URL in Feast's connection-string form: ``host:port,db=N`` for one server, the
        seeds ``host:port,host:port`` for a cluster (cluster clients refuse any ``db``)."""
        scheme, nodes, db = redis_nodes(self.url)
        options = [] if self.cluster else [f"db={db}"]
        options += ["ssl=true"] if scheme == "rediss" else []
        return ",".join([*nodes, *options])

    def feast_config(self, repo: Path) -> dict[str, Any]:
        config = {"type": "redis", "connection_string": self.feast_connection()}
        return config | ({"redis_type": "redis_cluster"} if self.cluster else {})

    def client(self, timeout: float) -> Any:
        """A redis-py client that gives up after ``timeout`` seconds and retries nothing itself
        (the caller's next attempt is the retry). Feast's own client retries three times with
        backoff, about 7 s against a stopped server, which no signal interrupts."""
        import redis
        from redis.backoff import NoBackoff
        from redis.cluster import ClusterNode, RedisCluster
        from redis.retry import Retry

        scheme, nodes, db = redis_nodes(self.url)
        options: dict[str, Any] = {
            "retry": Retry(NoBackoff(), 0),
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "ssl": scheme == "rediss",
        }
        if self.cluster:
            hosts = (node.rsplit(":", 1) for node in nodes)
            seeds = [ClusterNode(host, int(port)) for host, port in hosts]
            return RedisCluster(startup_nodes=seeds, **options)
        host, port = nodes[0].rsplit(":", 1)
        return redis.Redis(host=host, port=int(port), db=db, **options)

    def unreachable(self, timeout: float) -> str | None:
        """Why the store does not answer a ping within ``timeout`` seconds (None: it does)."""
        import redis

        try:
            client = self.client(timeout)
            try:
                client.ping()
            finally:
                client.close()
        except (redis.RedisError, redis.exceptions.RedisClusterException, OSError) as error:
            return f"{type(error).__name__}: {error}"
        return None


def redis_nodes(url: str) -> tuple[str, list[str], int]:
    """``redis://host:port[,host:port...][/db]`` as (scheme, ``host:port`` nodes, db)."""
    match = REDIS_NODES_URL.match(url)
    if match is None:
        raise ValueError(
            f"a Redis URL must look like redis://host:port/db (a cluster's seeds: "
            f"redis://host:port,host:port), got {url!r}"
        )
    scheme, seeds, db = match.groups()
    nodes = [seed if ":" in seed else f"{seed}:6379" for seed in seeds.split(",")]
    return scheme, nodes, int(db or 0)


OnlineStore = Annotated[SqliteOnlineStore | RedisOnlineStore, Field(discriminator="type")]


# ----------------------------------------------------------------------- offline stores
class _ParquetFiles(Backend):
    """Offline stores that read the home's Parquet feature files through Feast's FileSource."""

    def feast_config(self) -> dict[str, Any]:
        return {"type": self.type}  # type: ignore[attr-defined]

    def batch_source(self, path: Path, **common: Any) -> Any:
        from feast import FileSource

        return FileSource(path=str(path), **common)

    def reads(self, source: Any) -> bool:
        """Whether this store can read ``source`` (a view's batch source in the registry)."""
        from feast import FileSource

        return isinstance(source, FileSource)

    def saved_dataset_storage(self, path: Path) -> Any:
        from feast.infra.offline_stores.file_source import SavedDatasetFileStorage

        return SavedDatasetFileStorage(path=str(path))


class DuckDBOfflineStore(_ParquetFiles):
    """Point-in-time joins in DuckDB over the Parquet files (default: fast, exact)."""

    type: Literal["duckdb"] = "duckdb"


class FileOfflineStore(_ParquetFiles):
    """Feast's Dask file engine over the Parquet files."""

    type: Literal["file"] = "file"


class SparkOfflineStore(Backend):
    """Feast's Spark offline store over the same Parquet files (SparkSource); its session's
    options are the platform's ``spark`` settings."""

    type: Literal["spark"] = "spark"
    spark: SparkSettings = Field(default_factory=SparkSettings)

    def feast_config(self) -> dict[str, Any]:
        return {"type": "spark", "spark_conf": self.spark.spark_conf()}

    def batch_source(self, path: Path, **common: Any) -> Any:
        from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
            SparkSource,
        )

        return SparkSource(path=str(path), file_format="parquet", **common)

    def reads(self, source: Any) -> bool:
        from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
            SparkSource,
        )

        return isinstance(source, SparkSource)

    def saved_dataset_storage(self, path: Path) -> Any:
        """Feast's Spark storage refuses to save as shipped (``pricing.store.storage``)."""
        from pricing.store.storage import SparkFileStorage

        return SparkFileStorage(str(path))


OfflineStore = Annotated[
    DuckDBOfflineStore | FileOfflineStore | SparkOfflineStore, Field(discriminator="type")
]


# ----------------------------------------------------------------------- registries
class FileRegistry(Backend):
    """Feast's file registry in the home's feature repo (the embedded default)."""

    type: Literal["file"] = "file"

    def feast_config(self, repo: Path) -> dict[str, Any]:
        return {"registry_type": "file", "path": str(repo / "registry.db"), "cache_ttl_seconds": 60}


class SqlRegistry(Backend):
    """Feast's SQL registry (PostgreSQL): several processes and machines share one registry."""

    type: Literal["sql"] = "sql"
    url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        description="SQLAlchemy-style URL of the registry database.",
    )

    def feast_config(self, repo: Path) -> dict[str, Any]:
        url = self.url
        if url.startswith(("postgresql://", "postgres://")):  # psycopg 3 ships with feast
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return {
            "registry_type": "sql",
            "path": url,
            "cache_ttl_seconds": 60,
            "sqlalchemy_config_kwargs": {"pool_pre_ping": True},
        }


Registry = Annotated[FileRegistry | SqlRegistry, Field(discriminator="type")]
