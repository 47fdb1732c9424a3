"""Feast objects for one home: entities, batch sources, feature views, feature services.

Feast entities take one join key each, so the ``product_location`` key is the pair of
entities ``product`` x ``location`` on every view. Field descriptions are the feature
catalogue; ``feature_repo/`` exposes the same objects to the ``feast`` CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from feast import Entity, FeatureService, FeatureView, Field, PushSource, ValueType
from feast.types import Float64, String

from pricing.data.grain import ttl_periods
from pricing.settings import Settings
from pricing.streaming.realtime import PUSH_SOURCE, REALTIME_FEATURES, SALE_IDS, VIEW

BASE_SERVICE = "pricing_features_v1"
SERVING_SERVICE = "pricing_serving_v1"
#: v1 + the realtime view. A service of its own rather than a wider v1: a client or decision
#: log reading v1 keeps the exact features it was built against.
REALTIME_SERVICE = "pricing_serving_v2"
OWNER = "pricing-platform"

#: view -> {feature: description}; the one catalogue of batch features.
FEATURES: dict[str, dict[str, str]] = {
    "sales_stats": {
        "units_ma7": "Mean units sold over the last 7 periods (observed periods only).",
        "units_ma28": "Mean units sold over the last 28 periods (observed periods only).",
        "revenue_ma7": "Mean revenue over the last 7 periods.",
        "revenue_ma28": "Mean revenue over the last 28 periods.",
        "units_trend": "units_ma7 / units_ma28 - 1: recent momentum of demand.",
        "last_units": "Units sold in the period just ended (NaN if unobserved).",
        "last_price": "Shelf price in effect in the period just ended.",
        "price_change": "Relative price change versus the period before (0.1 = +10%).",
        "periods_since_price_change": "Periods since our price last changed.",
        "last_promo": "Promotion intensity in the period just ended (0..1).",
        "observed_share28": "Share of the last 28 periods with observed sales (gaps masked).",
    },
    "inventory_stats": {
        "on_hand": "Units on hand at the end of the period.",
        "inbound": "Units received during the period.",
        "days_of_cover": "Days the stock on hand lasts at the recent 7-period sales rate.",
    },
    "competitor_stats": {
        "competitor_min_price": "Lowest rival price seen in the period.",
        "competitor_mean_price": "Mean rival price seen in the period.",
        "competitor_count": "Number of rival prices seen in the period.",
        "price_gap_ratio": "Our price / lowest rival price (1.0 = matched, >1 = above).",
    },
}
#: Model outputs written by `pricing train`; the serving service adds them to the base.
MODEL_FEATURES: dict[str, dict[str, str]] = {
    "demand_forecast": {
        "forecast_units": "LSTM median forecast of next period's units at the planned price.",
        "forecast_q10": "10% quantile of next period's units.",
        "forecast_q90": "90% quantile of next period's units.",
        "forecast_horizon_units": "Median units summed over the forecast horizon.",
        "forecast_ref_price": "The planned (reference) price the forecast holds at.",
        "forecast_horizon": "Periods the forecast covers.",
    },
    "elasticity": {
        "elasticity": "Arc price elasticity (+-5%) at the series' reference price.",
        "elasticity_lower": "5% quantile of the elasticity over the bootstrap members.",
        "elasticity_upper": "95% quantile of the elasticity over the bootstrap members.",
        "elasticity_ref_price": "Reference (median) price of the series.",
    },
}
#: The String field naming the model that wrote each output view's rows.
MODEL_TAG_FIELD = {"demand_forecast": "forecast_model", "elasticity": "elasticity_model"}
#: How many periods a feature row stays valid (covers gaps in weekly real data).
TTL_PERIODS = {
    "sales_stats": 8,
    "inventory_stats": 8,
    "competitor_stats": 8,
    "demand_forecast": 8,
    "elasticity": 400,
    "realtime": 2,
}


@dataclass(frozen=True)
class Definitions:
    """Everything ``pricing store apply`` registers."""

    entities: list[Entity]
    views: dict[str, FeatureView]
    services: dict[str, FeatureService]

    def objects(self) -> list[Any]:
        return [*self.entities, *self.views.values(), *self.services.values()]


def _source(settings: Settings, view: str) -> Any:
    common = {
        "name": f"{view}_source",
        "timestamp_field": "event_timestamp",
        "created_timestamp_column": "created_timestamp",
        "description": f"Batch aggregates for {view}, stamped at the end of each period.",
    }
    return settings.offline_store.batch_source(settings.features_dir / f"{view}.parquet", **common)


def realtime_log(settings: Settings) -> Path:
    """The realtime view's offline side: every pushed row, appended by Feast."""
    return settings.stream_dir / f"{VIEW}.parquet"


def _realtime_view(settings: Settings, grain: str, entities: list[Entity]) -> FeatureView:
    """The streamed features, written by Feast push (online and offline), never materialized."""
    source = PushSource(
        name=PUSH_SOURCE,
        batch_source=settings.offline_store.batch_source(
            realtime_log(settings),
            name=f"{VIEW}_log",
            timestamp_field="event_timestamp",
            created_timestamp_column="created_timestamp",
            description="Rows pushed by `pricing stream run` (the realtime view's offline log).",
        ),
        description="Kafka events folded per series by `pricing stream run`.",
    )
    schema = [Field(name=n, dtype=Float64, description=d) for n, d in REALTIME_FEATURES.items()]
    schema.append(Field(name=SALE_IDS, dtype=String, description="Ids of the sales counted last."))
    return FeatureView(
        name=VIEW,
        entities=entities,
        ttl=timedelta(seconds=ttl_periods(grain, TTL_PERIODS[VIEW]).total_seconds()),
        schema=schema,
        source=source,
        online=True,
        description=f"Streamed price, competitor prices, stock and sales, {grain} periods.",
        tags={"owner": OWNER, "grain": grain, "layer": "stream"},
        owner=OWNER,
    )


def build_definitions(settings: Settings, grain: str, with_models: bool = False) -> Definitions:
    """Declarative Feast objects for this home; ttl counted in periods of its grain.

    ``with_models`` adds the model-output views and the serving service (after training).
    """
    product = Entity(
        name="product",
        join_keys=["product_id"],
        value_type=ValueType.STRING,
        description="A sellable product (SKU or brand-size).",
        tags={"owner": OWNER},
    )
    location = Entity(
        name="location",
        join_keys=["location_id"],
        value_type=ValueType.STRING,
        description="Store, zone or channel where a price is set ('all' when there is one).",
        tags={"owner": OWNER},
    )
    catalogue = {**FEATURES, **(MODEL_FEATURES if with_models else {})}
    views = {}
    for view, fields in catalogue.items():
        schema = [Field(name=n, dtype=Float64, description=d) for n, d in fields.items()]
        if view in MODEL_TAG_FIELD:
            schema.append(
                Field(
                    name=MODEL_TAG_FIELD[view],
                    dtype=String,
                    description="Tag of the model that wrote the row.",
                )
            )
        layer = "model" if view in MODEL_FEATURES else "batch"
        views[view] = FeatureView(
            name=view,
            entities=[product, location],
            ttl=timedelta(seconds=ttl_periods(grain, TTL_PERIODS[view]).total_seconds()),
            schema=schema,
            source=_source(settings, view),
            online=True,
            description=f"{view.replace('_', ' ')} per product and location, {grain} grain.",
            tags={"owner": OWNER, "grain": grain, "layer": layer},
            owner=OWNER,
        )
    views[VIEW] = _realtime_view(settings, grain, [product, location])
    base = FeatureService(
        name=BASE_SERVICE,
        features=[views[v] for v in FEATURES],
        description="Base features: what training snapshots read (version 1).",
        tags={"owner": OWNER, "version": "1"},
    )
    services = {BASE_SERVICE: base}
    if with_models:
        services[SERVING_SERVICE] = FeatureService(
            name=SERVING_SERVICE,
            features=[v for name, v in views.items() if name != VIEW],
            description="Base features + demand forecast + elasticity: what serving read (v1).",
            tags={"owner": OWNER, "version": "1"},
        )
        services[REALTIME_SERVICE] = FeatureService(
            name=REALTIME_SERVICE,
            features=list(views.values()),
            description="v1 + the realtime view: what serving reads (v2).",
            tags={"owner": OWNER, "version": "2"},
        )
    return Definitions([product, location], views, services)
