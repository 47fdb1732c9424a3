"""What every page shares: the empty-home guard, the series pickers, number formats."""

from __future__ import annotations

import math
from typing import NoReturn

import pandas as pd
import streamlit as st

from pricing.settings import Settings
from pricing_app import sources

NO_DATA = (
    "**{home}** holds no data yet. Run `pricing demo` for a synthetic market end to end, "
    "or `pricing data ingest FILE` then `pricing features build`, `pricing store apply`, "
    "`pricing store materialize` and `pricing train`."
)
NO_MODELS = "No trained models in **{home}** yet: run `pricing train` (or `pricing demo`)."


def stop_with(message: str) -> NoReturn:
    """End the page with what is missing and what to run (never a traceback)."""
    st.info(message)
    st.stop()


def require_data(cfg: Settings) -> str:
    """The home's grain; on an empty home the page says what to run and stops."""
    grain = sources.grain(cfg)
    if grain is None:
        stop_with(NO_DATA.format(home=cfg.home_dir))
    return str(grain)


def pick_series(catalogue: pd.DataFrame, key: str) -> tuple[str, str]:
    """Category, then product, then location: three short searchable lists instead of one
    of every series (the OJ home has 913)."""
    left, middle, right = st.columns(3)
    categories = catalogue["category"].unique().tolist()
    category = left.selectbox("Category", categories, key=f"{key}_category")
    in_category = catalogue[catalogue["category"] == category]
    product = middle.selectbox(
        "Product", in_category["product_id"].unique().tolist(), key=f"{key}_product"
    )
    locations = in_category.loc[in_category["product_id"] == product, "location_id"].tolist()
    location = right.selectbox("Location", locations, key=f"{key}_location")
    return str(product), str(location)


def money(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:,.2f}"


def compact(value: float) -> str:
    """A big figure short enough for a metric box: 68.1M, 27.1k, 950."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e4, "k")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def share(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.1%}"
