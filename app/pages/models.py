"""Models and lineage: prod and challenger, what each was trained from, promotion history."""

from __future__ import annotations

import streamlit as st

from pricing.analytics.lineage import models_table, promotion_table
from pricing_app import sources
from pricing_app.widgets import NO_MODELS, require_data, stop_with

cfg = sources.settings()
st.title("Models and lineage")
require_data(cfg)
found = sources.registry(cfg)
if not found["models"]:
    stop_with(NO_MODELS.format(home=cfg.home_dir))

prod, challenger = found["prod"] or {}, found["challenger"]
left, right = st.columns(2)
left.subheader("prod")
left.dataframe({"kind": list(prod), "tag": list(prod.values())}, hide_index=True)
right.subheader("challenger (newest of each kind)")
right.dataframe({"kind": list(challenger), "tag": list(challenger.values())}, hide_index=True)
if not prod:
    st.warning("Nothing is prod yet: `pricing promote` scores the challenger and promotes it.")
elif prod == challenger:
    st.caption("The newest models are prod.")

if found["history"]:
    earlier = ", ".join(found["history"][-1].values())
    st.caption(f"`pricing rollback` points prod back at the previous set: {earlier}.")
else:
    st.caption("No earlier prod set: there is nothing to roll back to.")

st.subheader("Stored models")
st.dataframe(models_table(found["models"], prod, challenger), hide_index=True)

st.subheader("Training snapshots")
snapshots = sources.snapshots(cfg)
if snapshots.empty:
    st.caption("No snapshot yet (`pricing snapshot create`, or `pricing train`).")
else:
    st.dataframe(snapshots.iloc[::-1], hide_index=True)

st.subheader("Promotion history")
promotions = promotion_table(found["promotions"])
if promotions.empty:
    st.caption("No promotion decision yet (`pricing promote`).")
else:
    st.dataframe(promotions, hide_index=True)
