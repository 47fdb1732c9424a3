"""Inventory: stock on hand and days of cover, lowest cover first."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from pricing.analytics.inventory import cover, latest_cover
from pricing.analytics.series import one_series
from pricing_app import sources
from pricing_app.widgets import pick_series, require_data, stop_with

cfg = sources.settings()
st.title("Inventory and days of cover")
grain = require_data(cfg)
inventory = sources.table(cfg, "inventory")
if inventory.empty:
    stop_with(
        "This home records no inventory, so cover cannot be computed; ingest a file with an "
        "inventory column (`--map inventory=COLUMN`) to see it here."
    )

frame = cover(inventory, sources.table(cfg, "sales"))
unit = {"daily": "days", "weekly": "weeks", "monthly": "months"}[grain]
st.subheader(f"Lowest cover ({unit} of stock at the last 7 periods' rate of sale)")
st.dataframe(
    latest_cover(frame)[["product_id", "location_id", "date", "on_hand", "rate", "cover"]].head(20),
    hide_index=True,
    column_config={"rate": st.column_config.NumberColumn("units / period", format="%.1f"),
                   "cover": st.column_config.NumberColumn(f"cover ({unit})", format="%.1f")},
)  # fmt: skip

product, location = pick_series(sources.series(cfg), "inventory")
mine = one_series(frame, product, location)
figure = make_subplots(specs=[[{"secondary_y": True}]])
figure.add_trace(go.Scatter(x=mine["date"], y=mine["on_hand"], name="on hand"))
figure.add_trace(go.Bar(x=mine["date"], y=mine["inbound"], name="inbound", opacity=0.5))
figure.add_trace(
    go.Scatter(x=mine["date"], y=mine["cover"], name=f"cover ({unit})", line_dash="dot"),
    secondary_y=True,
)
figure.update_layout(title=f"{product} @ {location}")
figure.update_yaxes(title_text="units", secondary_y=False)
figure.update_yaxes(title_text=unit, secondary_y=True)
st.plotly_chart(figure, key="chart_inventory")
