"""Feature-store backends: one class per backend behind one small interface, as Feast's own
stores are. Settings holds one of each kind; each renders its part of ``feature_store.yaml``
(and, for offline stores, the batch source Feast reads), so no code branches on a name.

Pure configuration: nothing here imports Feast until a source is actually built.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

REDIS_URL = re.compile(r"^(rediss?)://([^/:]+)(?::(\d+))?(?:/(\d+))?$")


class Backend(BaseModel):
    """A backend's options; unknown keys are refused, so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------- online stores
class SqliteOnlineStore(Backend):
    """Feast's SQLite online store in the home's feature repo (the embedded default)."""

    type: Literal["sqlite"] = "sqlite"

    def feast_config(self, repo: Path) -> dict[str, Any]:
        return {"type": "sqlite", "path": str(repo / "online_store.db")}


class RedisOnlineStore(Backend):
    """Feast's Redis online store; keys are prefixed by the home's Feast project."""

    type: Literal["redis"] = "redis"
    url: str = Field(
        "redis://127.0.0.1:6379/0", description="redis://host:port/db (rediss:// for TLS)."
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not REDIS_URL.match(value):
            raise ValueError(f"a Redis URL must look like redis://host:port/db, got {value!r}")
        return value

    def feast_connection(self) -> str:
        """``redis://host:port/db`` in Feast's ``host:port,db=N`` form."""
        return feast_redis_connection(self.url)

    def feast_config(self, repo: Path) -> dict[str, Any]:
        return {"type": "redis", "connection_string": self.feast_connection()}


def feast_redis_connection(url: str) -> str:
    """Translate ``redis://host:port/db`` into Feast's ``host:port,db=N`` form."""
    match = REDIS_URL.match(url)
    if match is None:
        raise ValueError(f"a Redis URL must look like redis://host:port/db, got {url!r}")
    scheme, host, port, db = match.groups()
    connection = f"{host}:{port or 6379},db={db or 0}"
    return connection + (",ssl=true" if scheme == "rediss" else "")


OnlineStore = Annotated[SqliteOnlineStore | RedisOnlineStore, Field(discriminator="type")]


# ----------------------------------------------------------------------- offline stores
class _ParquetFiles(Backend):
    """Offline stores that read the home's Parquet feature files through Feast's FileSource."""

    def feast_config(self) -> dict[str, Any]:
        return {"type": self.type}  # type: ignore[attr-defined]

    def batch_source(self, path: Path, **common: Any) -> Any:
        from feast import FileSource

        return FileSource(path=str(path), **common)


class DuckDBOfflineStore(_ParquetFiles):
    """Point-in-time joins in DuckDB over the Parquet files (default: fast, exact)."""

    type: Literal["duckdb"] = "duckdb"


class FileOfflineStore(_ParquetFiles):
    """Feast's Dask file engine over the Parquet files."""

    type: Literal["file"] = "file"


class SparkOfflineStore(Backend):
    """Feast's Spark offline store over the same Parquet files (SparkSource)."""

    type: Literal["spark"] = "spark"
    master: str = Field("local[*]", description="Spark master URL (local[*], spark://, k8s://).")

    def feast_config(self) -> dict[str, Any]:
        return {
            "type": "spark",
            "spark_conf": {
                "spark.master": self.master,
                "spark.sql.session.timeZone": "UTC",
                "spark.ui.enabled": "false",
            },
        }

    def batch_source(self, path: Path, **common: Any) -> Any:
        from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
            SparkSource,
        )

        return SparkSource(path=str(path), file_format="parquet", **common)


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
