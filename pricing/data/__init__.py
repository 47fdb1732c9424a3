"""Canonical data: schemas, loaders, validation, ingestion and real-data adapters."""
