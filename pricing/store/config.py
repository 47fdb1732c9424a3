"""Render ``feature_store.yaml`` from Settings and open the home's Feast store.

Backends are configuration only: SQLite or Redis online, file (Parquet via Dask) or Spark
offline, file or SQL (PostgreSQL) registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pricing.settings import Settings

if TYPE_CHECKING:
    from feast import FeatureStore


def _sqlalchemy_url(url: str) -> str:
    """Feast's SQL registry wants a driver-qualified URL; psycopg 3 ships with feast[postgres]."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def feature_store_config(settings: Settings) -> dict[str, Any]:
    """The feature_store.yaml content for this home, as a dict."""
    repo = settings.feast_dir
    online: dict[str, Any]
    if settings.online_store == "redis":
        online = {"type": "redis", "connection_string": settings.feast_redis_connection()}
    else:
        online = {"type": "sqlite", "path": str(repo / "online_store.db")}
    if settings.registry == "sql":
        registry: dict[str, Any] = {
            "registry_type": "sql",
            "path": _sqlalchemy_url(settings.registry_url),
            "cache_ttl_seconds": 60,
            "sqlalchemy_config_kwargs": {"pool_pre_ping": True},
        }
    else:
        registry = {
            "registry_type": "file",
            "path": str(repo / "registry.db"),
            "cache_ttl_seconds": 60,
        }
    offline: dict[str, Any] = {"type": settings.offline_store}
    if settings.offline_store == "spark":
        offline = {
            "type": "spark",
            "spark_conf": {
                "spark.master": settings.spark_master,
                "spark.sql.session.timeZone": "UTC",
                "spark.ui.enabled": "false",
            },
        }
    return {
        "project": settings.feast_project,
        "provider": "local",
        "registry": registry,
        "online_store": online,
        "offline_store": offline,
        "entity_key_serialization_version": 3,
    }


def render_feature_store_yaml(settings: Settings) -> Path:
    """Write ``<home>/feature_repo/feature_store.yaml`` (regenerated on every use)."""
    path = settings.feast_dir / "feature_store.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Generated from PRICING_* settings by pricing.store.config; edits are overwritten.\n"
    text += yaml.safe_dump(feature_store_config(settings), sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def open_store(settings: Settings) -> FeatureStore:
    """A FeatureStore over this home's rendered configuration."""
    from feast import FeatureStore

    render_feature_store_yaml(settings)
    return FeatureStore(repo_path=str(settings.feast_dir))
