"""Overview KPIs: the latest window of sales against the one before, and the served prices."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from pricing.data.schemas import KEY

#: Periods in a KPI window, by grain: a week of days, a month of weeks, a quarter of months.
KPI_WINDOW = {"daily": 7, "weekly": 4, "monthly": 3}
#: Two prices closer than this (currency units) are the same price.
PRICE_TOLERANCE = 0.005


@dataclass(frozen=True)
class Kpis:
    """Headline figures of the latest window (``None`` where the home cannot say)."""

    window_start: pd.Timestamp
    window_end: pd.Timestamp
    periods: int
    revenue: float
    revenue_change: float | None  # relative to the window before
    units: float
    units_change: float | None
    margin: float | None  # share of revenue above unit cost; None without unit costs
    series: int  # (product, location) series sold in the window
    decisions: int  # series with a served decision
    repriced_share: float | None  # of those, the share whose served price moved
    fallbacks: int  # of those, how many fell back to a safe price


def _change(now: float, before: float) -> float | None:
    return (now - before) / before if before > 0 else None


def revenue_by_period(sales: pd.DataFrame) -> pd.DataFrame:
    """Revenue and units summed over every series, per period (for the overview chart)."""
    observed = sales[sales["observed"]]
    out = observed.groupby("date", sort=True)[["revenue", "units_sold"]].sum()
    return out.reset_index()


def latest_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """Each series' most recent served decision (the log is oldest first)."""
    if decisions.empty:
        return decisions
    return decisions.drop_duplicates(KEY, keep="last").reset_index(drop=True)


def overview(
    sales: pd.DataFrame, products: pd.DataFrame, decisions: pd.DataFrame, periods: int
) -> Kpis:
    """KPIs over the last ``periods`` periods of ``sales`` (observed rows only), compared with
    the ``periods`` before; margin needs unit costs; repricing and fallbacks read each
    series' latest decision in the log."""
    observed = sales[sales["observed"]]
    dates = pd.Index(observed["date"].drop_duplicates().sort_values())
    if dates.empty:
        raise ValueError("no observed sales")
    window, before = dates[-periods:], dates[-2 * periods : -periods]
    now = observed[observed["date"].isin(window)]
    then = observed[observed["date"].isin(before)]
    costs = products.set_index("product_id")["unit_cost"]
    cost = now["product_id"].map(costs).astype(float)
    costed = cost.notna()
    margin = None
    if costed.any() and now.loc[costed, "revenue"].sum() > 0:
        known = now[costed]
        profit = (known["revenue"] - known["units_sold"] * cost[costed]).sum()
        margin = float(profit / known["revenue"].sum())
    latest = latest_decisions(decisions)
    repriced_share = None
    fallbacks = 0
    if not latest.empty:
        moved = (latest["recommended_price"] - latest["current_price"]).abs() > PRICE_TOLERANCE
        repriced_share = float(moved.mean())
        fallbacks = int((latest["policy"] == "fallback").sum())
    revenue, units = float(now["revenue"].sum()), float(now["units_sold"].sum())
    return Kpis(
        window_start=window[0],
        window_end=window[-1],
        periods=len(window),
        revenue=revenue,
        revenue_change=_change(revenue, float(then["revenue"].sum())) if len(before) else None,
        units=units,
        units_change=_change(units, float(then["units_sold"].sum())) if len(before) else None,
        margin=margin if margin is None or math.isfinite(margin) else None,
        series=int(now[KEY].drop_duplicates().shape[0]),
        decisions=len(latest),
        repriced_share=repriced_share,
        fallbacks=fallbacks,
    )
