"""Price trends: our price against competitors' and the served recommendation."""

from __future__ import annotations

import pandas as pd

from pricing.analytics.series import one_series
from pricing.data.grain import period_delta

OURS = "our price"
RECOMMENDED = "recommended"
#: Above this many rivals a series draws their lowest and mean price, not a line each (an
#: OJ brand has ten substitutes: a line each is slow to draw and hard to read).
MAX_RIVAL_LINES = 3


def price_trend(
    sales: pd.DataFrame,
    competitors: pd.DataFrame,
    decisions: pd.DataFrame,
    product: str,
    location: str,
    grain: str,
    max_rival_lines: int = MAX_RIVAL_LINES,
) -> pd.DataFrame:
    """Long frame (date, series, price) of one (product, location): our shelf price, each
    competitor's (or substitute's; their lowest and mean when there are more than
    ``max_rival_lines``), and the latest served recommendation, drawn at the period after the
    last sale (the period it prices)."""
    ours = one_series(sales[sales["observed"]], product, location)
    parts = [pd.DataFrame({"date": ours["date"], "series": OURS, "price": ours["price"]})]
    rivals = one_series(competitors, product, location)
    if not rivals.empty:
        label = rivals["competitor_id"] + " (" + rivals["competitor_type"].fillna("") + ")"
        rivals = rivals.assign(series=label.str.replace(" ()", "", regex=False))
        if rivals["series"].nunique() > max_rival_lines:
            by_date = rivals.groupby("date")["price"]
            lowest = by_date.min().reset_index().assign(series="rivals' lowest")
            parts += [lowest, by_date.mean().reset_index().assign(series="rivals' mean")]
        else:
            parts.append(rivals.groupby(["date", "series"], as_index=False)["price"].mean())
    if not decisions.empty and not ours.empty:
        served = decisions[
            (decisions["product_id"] == product) & (decisions["location_id"] == location)
        ]
        if not served.empty:
            after = ours["date"].max() + period_delta(grain)
            price = float(served["recommended_price"].iloc[-1])
            parts.append(pd.DataFrame({"date": [after], "series": RECOMMENDED, "price": [price]}))
    out = pd.concat(parts, ignore_index=True)
    out["series"] = out["series"].astype(str)
    return out.sort_values(["series", "date"]).reset_index(drop=True)


def category_trend(sales: pd.DataFrame, catalogue: pd.DataFrame, category: str) -> pd.DataFrame:
    """Mean shelf price per (date, product) over the category's locations (``catalogue`` as
    :func:`pricing.analytics.series.catalogue` gives it)."""
    ids = catalogue.loc[catalogue["category"] == category, "product_id"]
    observed = sales[sales["observed"] & sales["product_id"].isin(set(ids))]
    out = observed.groupby(["date", "product_id"], as_index=False)["price"].mean()
    out["product_id"] = out["product_id"].astype(str)
    return out
