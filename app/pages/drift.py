"""Drift monitor: drift share per run, per-feature scores, and the latest Evidently report."""

from __future__ import annotations

from pathlib import Path

import plotly.express as px
import streamlit as st

from pricing_app import sources
from pricing_app.widgets import require_data, share, stop_with

cfg = sources.settings()
st.title("Drift monitor")
require_data(cfg)
history = sources.monitor_history(cfg)
if history.empty:
    stop_with(
        "No drift monitor run yet: run `pricing monitor` (it compares the recent window "
        "with the prod models' training snapshot)."
    )

# Lazy tabs: the report (megabytes of Evidently HTML) is sent only when its tab is open.
runs, report_tab = st.tabs(["Drift history", "Latest report"], key="drift_tab", on_change="rerun")
latest = history.iloc[-1]

if runs.open:
    with runs:
        cols = st.columns(4)
        cols[0].metric("Latest run", f"{latest['run_at']:%b %d, %H:%M}", border=True)
        cols[1].metric("Data drift", "yes" if latest["drift"] else "no", border=True)
        cols[2].metric("Drift share", share(latest["drift_share"]), border=True)
        cols[3].metric("Forecast WAPE", share(latest["forecast_wape"]), border=True)
        if latest["drifted_features"] is not None and len(latest["drifted_features"]):
            st.caption("Drifted: " + ", ".join(map(str, latest["drifted_features"])))

        figure = px.line(
            history.sort_values("window_end"),
            x="window_end",
            y="drift_share",
            markers=True,
            title="Drift share per monitored window (by its last period)",
        )
        figure.add_hline(
            y=cfg.monitor.drift_share, line_dash="dot", annotation_text="drift threshold"
        )
        figure.update_layout(
            xaxis_title="", yaxis_title="", yaxis_tickformat=".0%", yaxis_range=[0, 1]
        )
        st.plotly_chart(figure, key="chart_drift_share")

        features = sources.feature_drift(cfg)
        if not features.empty:
            grid = features.pivot_table(
                index="feature", columns="window_end", values="score", aggfunc="last"
            )
            heat = px.imshow(
                grid, aspect="auto", title="Drift score per feature", color_continuous_scale="Reds"
            )
            heat.update_layout(xaxis_title="", yaxis_title="")
            st.plotly_chart(heat, key="chart_drift_features")

        quality = history.dropna(subset=["forecast_wape"])
        if not quality.empty:
            scores = px.line(
                quality.sort_values("window_end"), x="window_end",
                y=["forecast_wape", "forecast_coverage_80"], markers=True,
                title="Forecast WAPE and 10-90% band coverage per monitored window",
            )  # fmt: skip
            scores.update_layout(xaxis_title="", yaxis_title="", yaxis_tickformat=".0%")
            st.plotly_chart(scores, key="chart_forecast_quality")

if report_tab.open:
    with report_tab:
        report = Path(str(latest["report"]))
        if report.is_file():
            st.caption(f"`{report}`")
            st.iframe(report, height=900)
        else:
            st.info(
                f"The latest run's report {report} is gone; `pricing monitor` writes a new one."
            )
