"""Prefect flows of the platform (thin: every step calls ``pricing.*``)."""
