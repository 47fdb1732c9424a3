"""Overview: the latest window's revenue, units and margin, and how prices are being served."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from pricing.analytics.kpis import KPI_WINDOW, overview, revenue_by_period
from pricing_app import sources
from pricing_app.widgets import compact, require_data, share

cfg = sources.settings()
st.title("Overview")
grain = require_data(cfg)
sales = sources.table(cfg, "sales")
kpis = overview(sales, sources.table(cfg, "products"), sources.decisions(cfg), KPI_WINDOW[grain])

st.caption(
    f"Last {kpis.periods} {grain} periods ({kpis.window_start:%Y-%m-%d} to "
    f"{kpis.window_end:%Y-%m-%d}), {kpis.series} series, against the {kpis.periods} before."
)
cols = st.columns(5)
cols[0].metric("Revenue", compact(kpis.revenue), share(kpis.revenue_change), border=True)
cols[1].metric("Units", compact(kpis.units), share(kpis.units_change), border=True)
cols[2].metric("Margin", share(kpis.margin), help="Share of revenue above unit cost.", border=True)
cols[3].metric(
    "Repriced",
    share(kpis.repriced_share),
    help="Share of served series whose latest recommended price differs from the price in effect.",
    border=True,
)
cols[4].metric(
    "Fallbacks",
    f"{kpis.fallbacks} of {kpis.decisions}",
    help="Series whose latest served answer fell back to a safe price (stale or missing features).",
    border=True,
)
if kpis.decisions == 0:
    st.caption("No served decisions yet: `pricing serve`, then POST /recommend.")
if kpis.margin is None:
    st.caption("Margin needs unit costs (`--map unit_cost=COLUMN` at ingest).")

totals = revenue_by_period(sales)
for column, (name, title) in zip(
    st.columns(2),
    [("revenue", "Revenue per period"), ("units_sold", "Units per period")],
    strict=True,
):
    figure = px.line(totals, x="date", y=name, title=title)
    figure.update_layout(xaxis_title="", yaxis_title="")
    column.plotly_chart(figure, key=f"chart_{name}")
