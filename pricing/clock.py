"""The platform's clock, ``PRICING_AS_OF``: what "now" means for staleness and windows."""

from __future__ import annotations

import pandas as pd

from pricing.data.home import HomeData
from pricing.settings import Settings


class ClockError(ValueError):
    """``as_of='latest'`` was asked of a home that holds no data yet."""


def resolve_as_of(settings: Settings, home: HomeData | None = None) -> pd.Timestamp:
    """'latest' = last event time in the home's data; 'now' = wall clock; else the timestamp."""
    if settings.as_of == "now":
        return pd.Timestamp.now(tz="UTC").floor("s")
    if settings.as_of == "latest":
        latest = (home or HomeData(settings.data_dir)).latest_event_time()
        if latest is None:
            raise ClockError(
                f"PRICING_AS_OF=latest but {settings.home_dir} holds no data; ingest or generate "
                "data first (pricing data ingest / pricing data generate)"
            )
        return latest
    stamp = pd.Timestamp(settings.as_of)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
