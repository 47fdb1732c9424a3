"""Render ``feature_store.yaml`` from Settings and open the home's Feast store.

Backends are configuration only (``pricing.store.backends``): SQLite or Redis online, DuckDB,
Dask or Spark offline, file or SQL (PostgreSQL) registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pricing.data.home import NoDataError
from pricing.settings import Settings

if TYPE_CHECKING:
    from feast import FeatureStore


def feature_store_config(settings: Settings) -> dict[str, Any]:
    """The feature_store.yaml content for this home, as a dict: each backend renders its part."""
    repo = settings.feast_dir
    return {
        "project": settings.feast_project,
        "provider": "local",
        "registry": settings.registry.feast_config(repo),
        "online_store": settings.online_store.feast_config(repo),
        "offline_store": settings.offline_store.feast_config(),
        "entity_key_serialization_version": 3,
    }


def online_store_identity(settings: Settings) -> dict[str, Any]:
    """Which online store, and which key space in it, this configuration loads: its Feast
    config plus the project. Materialization compares it with the one each view was last
    loaded into, since Feast's registry only records how far a view was loaded."""
    return {"project": settings.feast_project, **feature_store_config(settings)["online_store"]}


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


class AppliedUnderAnotherStoreError(NoDataError):
    """The registry's views read batch sources the configured offline store cannot read."""


def open_offline_store(settings: Settings) -> FeatureStore:
    """The store, for offline reads (historical features, snapshots), once its views are known
    to read sources of the configured offline store: the registry keeps the sources of the
    store they were applied under, and Feast would fail deep in the join on the others."""
    store = open_store(settings)
    backend = settings.offline_store
    views = store.list_feature_views()
    foreign = sorted(view.name for view in views if not backend.reads(view.batch_source))
    if foreign:
        raise AppliedUnderAnotherStoreError(
            f"feature views {', '.join(foreign)} were applied under another offline store than "
            f"{backend.type}; run `pricing store apply` to register them for {backend.type}"
        )
    return store
