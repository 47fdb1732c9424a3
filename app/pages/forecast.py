"""Forecast vs actual: observed units against the forecaster's 10-90% band."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pricing.analytics.forecast import band_scores, forecast_vs_actual
from pricing_app import sources
from pricing_app.widgets import pick_series, require_data, share, stop_with

cfg = sources.settings()
st.title("Forecast vs actual")
require_data(cfg)
published = sources.published(cfg, "demand_forecast")
quality = sources.forecast_quality(cfg)
if published.empty and quality.empty:
    stop_with(
        "No forecasts yet: `pricing train` publishes the next period's forecast; "
        "`pricing monitor` scores past forecasts against what sold."
    )

product, location = pick_series(sources.series(cfg), "forecast")
frame = forecast_vs_actual(sources.table(cfg, "sales"), quality, published, product, location)
scores = band_scores(frame)
left, middle, right = st.columns(3)
left.metric("Scored periods", scores.periods, border=True)
middle.metric("WAPE (median)", share(scores.wape), border=True)
right.metric("10-90% band coverage", share(scores.coverage_80), help="Ideal: 80%.", border=True)
if quality.empty:
    st.caption("Only the published next-period forecast: `pricing monitor` adds past forecasts.")

band = frame.dropna(subset=["q50"])
figure = go.Figure()
figure.add_trace(
    go.Scatter(
        x=pd.concat([band["date"], band["date"][::-1]]),
        y=pd.concat([band["q90"], band["q10"][::-1]]),
        fill="toself",
        fillcolor="rgba(99, 110, 250, 0.2)",
        line={"width": 0},
        name="10-90% band",
        hoverinfo="skip",
    )
)
figure.add_trace(
    go.Scatter(x=band["date"], y=band["q50"], name="forecast (median)", mode="lines+markers")
)
figure.add_trace(go.Scatter(x=frame["date"], y=frame["actual"], name="actual", mode="lines"))
figure.update_layout(title=f"{product} @ {location}", yaxis_title="units")
st.plotly_chart(figure, key="chart_forecast")
