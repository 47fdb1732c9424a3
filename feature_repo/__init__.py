"""Feast definitions of the platform, exposed for the ``feast`` CLI (see README.md)."""
