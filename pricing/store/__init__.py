"""Feast access: configuration, definitions, operations and training snapshots."""
