"""Revenue what-if: move a price, see expected units, revenue and profit.

Answered by the service's /simulate (``expected_units``, the one demand function): the running
service at ``PRICING_SERVICE_URL``, else the prod models loaded in this process.
"""

from __future__ import annotations

import math

import httpx
import plotly.graph_objects as go
import streamlit as st

from pricing.analytics.series import one_series
from pricing.analytics.whatif import at_price, price_grid, whatif_table
from pricing.registry import ModelNotFoundError
from pricing_app import sources
from pricing_app.widgets import NO_MODELS, money, pick_series, require_data, stop_with

cfg = sources.settings()
st.title("Revenue what-if")
require_data(cfg)
product, location = pick_series(sources.series(cfg), "whatif")
history = one_series(sources.table(cfg, "sales"), product, location).dropna(subset=["price"])
current = float(history["price"].iloc[-1]) if not history.empty else 1.0

try:
    simulator = sources.what_if(cfg)
except ModelNotFoundError:
    stop_with(NO_MODELS.format(home=cfg.home_dir))

price = st.number_input(
    "Price", min_value=0.01, value=round(current, 2), step=0.05, format="%.2f",
    key=f"whatif_price_{product}_{location}",
)  # fmt: skip
try:
    answer = simulator.simulate(
        {"product_id": product, "location_id": location}, price_grid(current, float(price))
    )
except (LookupError, httpx.HTTPError) as error:
    st.warning(f"{simulator.source} cannot answer for {product} @ {location}: {error}")
    st.stop()

table = whatif_table(answer)
now, chosen = at_price(table, current), at_price(table, float(price))
st.caption(f"Answered by {simulator.source}; price in effect {current:.2f}.")
cols = st.columns(3)
for col, (name, label) in zip(
    cols,
    [("expected_units", "Expected units"), ("expected_revenue", "Expected revenue"),
     ("expected_profit", "Expected profit")],
    strict=True,
):  # fmt: skip
    delta = float(chosen[name] - now[name])
    change = f"{delta:+,.2f} vs {current:.2f}" if math.isfinite(delta) else None
    col.metric(f"{label} at {chosen['price']:.2f}", money(chosen[name]), change, border=True)
if not chosen["allowed"]:
    st.warning(f"{chosen['price']:.2f} would not be served: {chosen['reason']}")

figure = go.Figure()
for name, label in [("expected_revenue", "revenue"), ("expected_profit", "profit")]:
    if table[name].notna().any():
        figure.add_trace(go.Scatter(x=table["price"], y=table[name], name=label))
low, high = answer["guardrails_applied"]["allowed_range"]
figure.add_vrect(
    x0=low, x1=high, fillcolor="green", opacity=0.08, line_width=0,
    annotation_text="allowed by the guardrails", annotation_position="bottom left",
)  # fmt: skip
figure.add_vline(x=current, line_dash="dot", annotation_text="in effect")
figure.add_vline(x=float(chosen["price"]), line_color="red", annotation_text="what-if")
figure.update_layout(xaxis_title="price", title=f"{product} @ {location}")
st.plotly_chart(figure, key="chart_whatif")
