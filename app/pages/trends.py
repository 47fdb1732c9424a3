"""Price trends: our price, competitors' and the recommendation, per product or category."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from pricing.analytics.trends import RECOMMENDED, category_trend, price_trend
from pricing_app import sources
from pricing_app.widgets import pick_series, require_data

cfg = sources.settings()
st.title("Price trends")
grain = require_data(cfg)
catalogue = sources.series(cfg)
sales = sources.table(cfg, "sales")
# Lazy tabs: only the open one runs and draws (the OJ home's category chart alone is 11
# products x 300 weeks).
by_product, by_category = st.tabs(
    ["Per product", "Per category"], key="trends_tab", on_change="rerun"
)

if by_product.open:
    with by_product:
        product, location = pick_series(catalogue, "trends")
        trend = price_trend(
            sales,
            sources.competitors(cfg, product, location),
            sources.decisions(cfg),
            product,
            location,
            grain,
        )
        figure = px.line(
            trend, x="date", y="price", color="series", title=f"{product} @ {location}"
        )
        figure.update_traces(selector={"name": RECOMMENDED}, mode="markers", marker_size=12)
        figure.update_layout(xaxis_title="", legend_title_text="")
        st.plotly_chart(figure, key="chart_trends_product")
        if RECOMMENDED not in set(trend["series"]):
            st.caption(
                "No served recommendation for this series yet (`pricing serve`, /recommend)."
            )

if by_category.open:
    with by_category:
        category = st.selectbox(
            "Category", catalogue["category"].unique().tolist(), key="trends_category_only"
        )
        means = category_trend(sales, catalogue, category)
        figure = px.line(
            means, x="date", y="price", color="product_id", title=f"Mean shelf price in {category}"
        )
        figure.update_layout(xaxis_title="", legend_title_text="product")
        st.plotly_chart(figure, key="chart_trends_category")
