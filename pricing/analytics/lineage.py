"""Models and lineage: which model is prod, which is the challenger, what each came from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pricing.registry import SavedModel


def models_table(
    models: Sequence[SavedModel], prod: Mapping[str, str] | None, challenger: Mapping[str, str]
) -> pd.DataFrame:
    """One row per stored model, newest first: kind, tag, role (prod / challenger), snapshot,
    feature service, data hash and code version."""
    rows = []
    for order, model in enumerate(models):
        roles = [
            name
            for name, chosen in (("prod", prod or {}), ("challenger", challenger))
            if chosen.get(model.kind) == model.tag
        ]
        meta = model.metadata
        rows.append(
            {
                "kind": model.kind,
                "tag": model.tag,
                "role": ", ".join(roles),
                "snapshot": str(meta.get("snapshot", "")),
                "feature_service": str(meta.get("feature_service", "")),
                "data_hash": str(meta.get("data_hash", ""))[:12],
                "code_version": str(meta.get("code_version", ""))[:12],
                "order": order,
            }
        )
    columns = ["kind", "tag", "role", "snapshot", "feature_service", "data_hash", "code_version"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows).sort_values("order", ascending=False)
    return frame[columns].reset_index(drop=True)


def _tags(tags: Mapping[str, str] | None) -> str:
    return ", ".join(tags[kind] for kind in sorted(tags)) if tags else ""


def _score(decision: Mapping[str, Any], who: str, figure: str) -> float | None:
    value = (decision.get("scores") or {}).get(who, {}).get(figure)
    return float(value) if value is not None else None


def promotion_table(decisions: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Promotion and rollback decisions, newest first, with the figures they compared."""
    rows = [
        {
            "at": pd.Timestamp(d["at"]),
            "action": "rollback" if d.get("rollback") else "promote",
            "promoted": bool(d.get("promoted", d.get("rollback", False))),
            "forced": bool(d.get("forced", False)),
            "prod_before": _tags(d.get("prod_before")),
            "prod_after": _tags(d.get("prod_after")),
            "challenger_policy_pct": _score(d, "challenger", "policy_pct_of_oracle"),
            "prod_policy_pct": _score(d, "prod", "policy_pct_of_oracle"),
            "challenger_wape": _score(d, "challenger", "forecast_wape"),
            "prod_wape": _score(d, "prod", "forecast_wape"),
            "reasons": "; ".join(d.get("reasons", [])),
        }
        for d in decisions
    ]
    if not rows:
        return pd.DataFrame(
            columns=["at", "action", "promoted", "forced", "prod_before", "prod_after", "reasons"]
        )
    return pd.DataFrame(rows).iloc[::-1].reset_index(drop=True)
