"""Where a snapshot's rows are stored: the saved-dataset storage each offline store accepts,
and the file a stored snapshot's rows are in, whichever store saved it.

Feast 0.67 cannot save a dataset on its Spark offline store as shipped; two gaps, handled
here rather than patched:

* ``SavedDatasetSparkStorage.to_data_source`` builds its SparkSource without a name, which
  SparkSource refuses (``DataSourceNoNameException``), so ``create_saved_dataset`` fails right
  after persisting the rows; ``FeatureStore.get_saved_dataset`` fails the same way (an
  ``AssertionError``) on every Spark-stored dataset read back from the registry.
  ``SparkFileStorage`` names the source after the file; it records the same registry entry as
  Feast's class (``spark_storage``: table, query, path, format), which reads it back.
* The Spark store reads SparkSources only, so it refuses ``SavedDatasetFileStorage``. Each
  offline-store backend picks the storage its store accepts (``saved_dataset_storage``):
  a file storage for DuckDB and Dask, a ``SparkFileStorage`` for Spark.

Either way the rows are the same single Parquet file, written by pyarrow (Spark would write
a folder of part files), so a snapshot's content and hash do not depend on the store that made
it. Snapshots are read from the registry's record and that file alone (``stored_path``), never
through the configured store, so every store reads the snapshots of every other.
"""

from __future__ import annotations

from pathlib import PurePath

from feast.data_source import DataSource
from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
    SavedDatasetSparkStorage,
    SparkSource,
)
from feast.infra.offline_stores.file_source import SavedDatasetFileStorage
from feast.saved_dataset import SavedDatasetStorage


class SparkFileStorage(SavedDatasetSparkStorage):
    """A Parquet file saved on the Spark store, whose source carries a name (see above).

    It declares no ``_proto_attr_name`` of its own, so Feast's storage registry keeps one
    reader for ``spark_storage`` (its own class) rather than refusing an ambiguous one."""

    def __init__(self, path: str) -> None:
        super().__init__(path=path, file_format="parquet")

    def to_data_source(self) -> DataSource:
        path = self.spark_options.path
        return SparkSource(name=PurePath(path).stem, path=path, file_format="parquet")


def stored_path(storage: SavedDatasetStorage) -> str | None:
    """The Parquet file a saved dataset's rows are in, for either storage a snapshot is saved
    in; None for a storage that names no file (a table or query)."""
    if isinstance(storage, SavedDatasetFileStorage):
        return str(storage.file_options.uri)
    if isinstance(storage, SavedDatasetSparkStorage):
        return storage.spark_options.path or None
    return None
