"""Feast definitions of the pricing platform, for the ``feast`` CLI.

The objects are declared once, in ``pricing.store.definitions`` (fields, descriptions, tags,
ttl); this module only exposes them at module level, the way Feast's CLI discovers them.
``feature_store.yaml`` is rendered from ``PRICING_*`` settings into
``$PRICING_HOME/feature_repo/`` by ``pricing store apply``; point the CLI there:

    pricing store apply                      # renders the yaml, registers everything
    feast -c $PRICING_HOME/feature_repo feature-views list
"""

from __future__ import annotations

from pricing.data.home import HomeData
from pricing.settings import get_settings
from pricing.store.definitions import build_definitions

_settings = get_settings()
_definitions = build_definitions(_settings, HomeData(_settings.data_dir).require_grain())

product, location = _definitions.entities
sales_stats = _definitions.views["sales_stats"]
inventory_stats = _definitions.views["inventory_stats"]
competitor_stats = _definitions.views["competitor_stats"]
pricing_features_v1 = _definitions.services["pricing_features_v1"]
