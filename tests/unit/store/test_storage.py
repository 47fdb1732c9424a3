"""Each offline store saves snapshots in a storage it accepts, and a snapshot's file is found
whichever store saved it, through the registry's round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import (
    SavedDatasetSparkStorage,
    SparkSource,
)
from feast.infra.offline_stores.file_source import FileSource, SavedDatasetFileStorage
from feast.saved_dataset import SavedDatasetStorage

from pricing.store.backends import DuckDBOfflineStore, FileOfflineStore, SparkOfflineStore
from pricing.store.storage import stored_path

PATH = Path("/data/home/snapshots/snap_0123456789ab.parquet")


def round_trip(storage: SavedDatasetStorage) -> SavedDatasetStorage:
    """The storage as the registry gives it back."""
    return SavedDatasetStorage.from_proto(storage.to_proto())


@pytest.mark.parametrize("backend", [DuckDBOfflineStore(), FileOfflineStore()])
def test_parquet_stores_save_files(backend):
    storage = backend.saved_dataset_storage(PATH)
    assert isinstance(storage, SavedDatasetFileStorage)
    assert isinstance(storage.to_data_source(), FileSource)
    assert stored_path(round_trip(storage)) == str(PATH)


def test_spark_store_saves_a_spark_storage_whose_source_has_a_name():
    storage = SparkOfflineStore().saved_dataset_storage(PATH)
    source = storage.to_data_source()  # Feast's own class raises DataSourceNoNameException
    assert isinstance(source, SparkSource)
    assert (source.name, source.path, source.file_format) == (PATH.stem, str(PATH), "parquet")
    again = round_trip(storage)
    assert type(again) is SavedDatasetSparkStorage  # the registry reads it as Feast's own
    assert stored_path(again) == str(PATH)


def test_a_storage_naming_no_file_has_no_path():
    assert stored_path(SavedDatasetSparkStorage(table="warehouse.snapshots")) is None
