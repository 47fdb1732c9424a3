"""Batch model outputs as feature rows: what the serving feature service reads.

Forecasts and elasticities are computed here, once per training, so no model runs on the
request path. Rows are stamped at the platform's as-of time and carry the tag of the model
that made them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.data.grain import period_delta
from pricing.data.schemas import KEY
from pricing.models.demand import DemandForecaster
from pricing.models.elasticity import PriceResponseModel


def forecast_rows(
    forecaster: DemandForecaster,
    sales: pd.DataFrame,
    rivals: pd.DataFrame,
    as_of: pd.Timestamp,
    tag: str,
) -> pd.DataFrame:
    """Next-horizon forecasts of every series at its current price (the planned price)."""
    grain = forecaster.grain
    observed = sales[sales["observed"]].sort_values([*KEY, "date"])
    last = observed.groupby(KEY, sort=True).tail(1)
    origin = as_of.floor("D")
    dates = [origin + h * period_delta(grain) for h in range(forecaster.horizon)]
    plan = pd.concat(
        [last[KEY].assign(date=d, price=last["price"].to_numpy(), promo=0.0) for d in dates],
        ignore_index=True,
    )
    forecast = forecaster.predict(sales, rivals, plan)
    grouped = forecast.sort_values([*KEY, "date"]).groupby(KEY, sort=True)
    first = grouped.head(1).set_index(KEY)
    out = pd.DataFrame(
        {
            "forecast_units": first["q50"],
            "forecast_q10": first["q10"],
            "forecast_q90": first["q90"],
            "forecast_horizon_units": grouped["q50"].sum(),
            "forecast_horizon": float(forecaster.horizon),
        }
    ).reset_index()
    prices = last.set_index(KEY)["price"].rename("forecast_ref_price").reset_index()
    out = out.merge(prices, on=KEY, how="left")
    return _stamp(out, as_of, "forecast_model", tag)


def elasticity_rows(
    model: PriceResponseModel, frame: pd.DataFrame, as_of: pd.Timestamp, tag: str
) -> pd.DataFrame:
    """Per-series elasticity with its bootstrap band and where it came from (``fitted``, or
    the prior a series without price variation took): the record behind what serving reads."""
    table = model.elasticities(frame).rename(
        columns={
            "lower": "elasticity_lower",
            "upper": "elasticity_upper",
            "ref_price": "elasticity_ref_price",
            "source": "elasticity_source",
        }
    )
    return _stamp(table, as_of, "elasticity_model", tag)


def _stamp(frame: pd.DataFrame, as_of: pd.Timestamp, tag_field: str, tag: str) -> pd.DataFrame:
    out = frame.copy()
    out[KEY] = out[KEY].astype(str)
    out["event_timestamp"] = as_of
    out["created_timestamp"] = as_of
    out[tag_field] = tag
    text = {*KEY, "event_timestamp", "created_timestamp", tag_field, "elasticity_source"}
    numeric = [c for c in out.columns if c not in text]
    out[numeric] = out[numeric].astype(float).replace([np.inf, -np.inf], np.nan)
    return out.sort_values(KEY).reset_index(drop=True)
