"""Decision log: every served price with its explanation, guardrails and versions."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from pricing.analytics.decisions import features_used, flatten_decisions
from pricing_app import sources
from pricing_app.widgets import require_data, stop_with

#: Rows shown at once, newest first (the log of a busy service holds millions).
SHOWN = 2000


def logged_drivers(log: pd.DataFrame, request_id: str, product: str, location: str) -> pd.DataFrame:
    """One decision's drivers as logged (none for fallbacks and for older decisions)."""
    mine = (log["request_id"] == request_id) & (log["product_id"] == product)
    rows = log.loc[mine & (log["location_id"] == location), "response"]
    drivers = json.loads(rows.iloc[-1]).get("drivers") if not rows.empty else None
    return pd.DataFrame(drivers or [], columns=["name", "counterfactual_price", "effect"])


cfg = sources.settings()
st.title("Decision log")
require_data(cfg)
log = sources.decisions(cfg)
if log.empty:
    stop_with(
        "No served decisions yet: start the service with `pricing serve` and POST /recommend; "
        "every answer is logged here with its reasons."
    )

ALL = "(all)"
left, middle, policy_column, right = st.columns([2, 2, 2, 1])
products = [ALL, *sorted(log["product_id"].astype(str).unique())]
product = left.selectbox("Product", products, key="decisions_product")
subset = log if product == ALL else log[log["product_id"] == product]
locations = [ALL, *sorted(subset["location_id"].astype(str).unique())]
location = middle.selectbox("Location", locations, key="decisions_location")
policies = sorted(log["policy"].astype(str).unique())
chosen = policy_column.multiselect("Policy", policies, default=policies, key="decisions_policy")
fallbacks_only = right.checkbox("Fallbacks only", key="decisions_fallbacks")

if location != ALL:
    subset = subset[subset["location_id"] == location]
subset = subset[subset["policy"].isin(chosen)]
if fallbacks_only:
    subset = subset[subset["policy"] == "fallback"]
flat = flatten_decisions(subset.tail(SHOWN))
st.caption(f"{len(subset):,} decisions match; the newest {len(flat):,} are shown.")
picked = st.dataframe(
    flat, hide_index=True, on_select="rerun", selection_mode="single-row", key="decisions_table"
)
rows = picked.selection.rows if hasattr(picked, "selection") else []
if flat.empty:
    st.stop()
row = flat.iloc[rows[0] if rows else 0]
st.subheader(f"{row['product_id']} @ {row['location_id']}, {row['logged_at']:%Y-%m-%d %H:%M:%S}")
st.markdown(f"**{row['recommended_price']:.2f}** ({row['policy']}): {row['explanation']}")
key = [str(row[c]) for c in ("request_id", "product_id", "location_id")]
drivers = logged_drivers(log, *key)
if not drivers.empty:
    st.caption("Drivers: the price with each one neutral, and its effect on the price served.")
    st.dataframe(drivers, hide_index=True)
st.markdown(f"Guardrails: {row['rules'] or 'none'}; allowed {row['allowed_range']}")
if row["conflicts"]:
    st.markdown(f"Conflicts: {row['conflicts']}")
st.markdown(
    f"Versions: bento `{row['bento'] or '-'}`, elasticity `{row['elasticity_model']}`, "
    f"agent `{row['agent_model']}`, forecast `{row['forecast_model']}`, "
    f"snapshot `{row['snapshot']}`"
)
with st.expander("Features used"):
    st.json(features_used(log, *key))
