"""Period aggregates rebuilt from the realtime view's offline log, and the same aggregates
computed from batch rows: what the stream says a period held must equal what batch says.

Per series and period: units sold and the shelf price (from the row with the period's last
counted sale), stock on hand at the last count, the last rival and substitute prices. Each is
read from the log row with the latest event time *of that value* inside the period, so rows
written while other values of the series had moved on do not blur it.
"""

from __future__ import annotations

import pandas as pd

from pricing.data.schemas import KEY
from pricing.streaming.realtime import PeriodStart

AGGREGATES = ["units", "price", "on_hand", "competitor_price", "substitute_price"]
_LAST_VALUES = {
    "on_hand": ("realtime_on_hand", "realtime_on_hand_time"),
    "competitor_price": ("realtime_competitor_price", "realtime_competitor_price_time"),
    "substitute_price": ("realtime_substitute_price", "realtime_substitute_price_time"),
}


def _periods(seconds: pd.Series, period_start: PeriodStart) -> pd.Series:
    starts = pd.to_datetime(seconds, unit="s", utc=True)
    return pd.Series([period_start(t) for t in starts], index=seconds.index, dtype="float64")


def _last(frame: pd.DataFrame, order: list[str], values: dict[str, str]) -> pd.DataFrame:
    chosen = frame.sort_values([*KEY, "period", *order]).groupby([*KEY, "period"]).tail(1)
    return chosen[[*KEY, "period", *values]].rename(columns=values)


def streamed_aggregates(log: pd.DataFrame, period_start: PeriodStart) -> pd.DataFrame:
    """One row per (series, period start in epoch s) with ``AGGREGATES`` from the log."""
    parts = []
    sales = log[log["realtime_period_start"].notna()].assign(period=log["realtime_period_start"])
    parts.append(
        _last(
            sales,
            ["realtime_sales_time", "realtime_row_time"],
            {"realtime_units_in_period": "units", "realtime_price": "price"},
        )
    )
    for name, (value, when) in _LAST_VALUES.items():
        rows = log[log[when].notna()]
        rows = rows.assign(period=_periods(rows[when], period_start))
        parts.append(_last(rows, [when, "realtime_row_time"], {value: name}))
    return _merge(parts)


def _seconds(dates: pd.Series) -> pd.Series:
    return pd.Series([d.timestamp() for d in dates], index=dates.index, dtype="float64")


def batch_aggregates(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The same aggregates from canonical rows (what `stream replay` publishes of them)."""
    sales = tables["sales"]
    sales = sales[sales["observed"] & sales["units_sold"].notna() & sales["price"].notna()]
    parts = [
        sales.assign(period=_seconds(sales["date"]))[
            [*KEY, "period", "units_sold", "price"]
        ].rename(columns={"units_sold": "units"}),
    ]
    stock = tables["inventory"][tables["inventory"]["on_hand"].notna()]
    parts.append(stock.assign(period=_seconds(stock["date"]))[[*KEY, "period", "on_hand"]])
    rivals = tables["competitor_prices"].sort_values([*KEY, "date", "competitor_id"])
    for kind, name in (("competitor", "competitor_price"), ("substitute", "substitute_price")):
        rows = rivals[rivals["competitor_type"] == kind]
        rows = rows.assign(period=_seconds(rows["date"]))
        parts.append(_last(rows, [], {"price": name}))
    return _merge(parts)


def _merge(parts: list[pd.DataFrame]) -> pd.DataFrame:
    out = parts[0]
    for part in parts[1:]:
        out = out.merge(part, on=[*KEY, "period"], how="outer")
    for name in AGGREGATES:
        if name not in out:
            out[name] = float("nan")
    out[KEY] = out[KEY].astype(str)
    return out[[*KEY, "period", *AGGREGATES]].sort_values([*KEY, "period"]).reset_index(drop=True)


def reconcile(streamed: pd.DataFrame, batch: pd.DataFrame, rtol: float = 1e-9) -> pd.DataFrame:
    """The (series, period, aggregate) cells where stream and batch disagree, over the
    series and periods both hold; a value only one side has counts as a disagreement."""
    both = streamed.merge(batch, on=[*KEY, "period"], suffixes=("_stream", "_batch"))
    rows = []
    for name in AGGREGATES:
        ours, theirs = both[f"{name}_stream"], both[f"{name}_batch"]
        close = (ours - theirs).abs() <= rtol * theirs.abs().clip(lower=1.0)
        differ = ~(close | (ours.isna() & theirs.isna()))
        part = both.loc[differ, [*KEY, "period"]].assign(
            aggregate=name, stream=ours[differ], batch=theirs[differ]
        )
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values([*KEY, "period", "aggregate"]).reset_index(drop=True)
