"""The decision log, flattened: every served price with its reasons, rules and versions."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

#: Columns of the flat log, in the order an auditor reads them.
COLUMNS = [
    "logged_at",
    "product_id",
    "location_id",
    "policy",
    "recommended_price",
    "current_price",
    "competitor_price",
    "confidence",
    "expected_units",
    "expected_revenue",
    "elasticity",
    "fallback",
    "explanation",
    "rules",
    "conflicts",
    "allowed_range",
    "bento",
    "elasticity_model",
    "agent_model",
    "forecast_model",
    "snapshot",
    "request_id",
]


def _flat(response: dict[str, Any]) -> dict[str, Any]:
    rails = response.get("guardrails_applied") or {}
    versions = response.get("model_version") or {}
    low_high = rails.get("allowed_range") or []
    return {
        "competitor_price": response.get("competitor_price"),
        "confidence": response.get("confidence"),
        "expected_units": response.get("expected_units"),
        "expected_revenue": response.get("expected_revenue"),
        "elasticity": response.get("elasticity"),
        "fallback": bool(response.get("fallback", False)),
        "explanation": response.get("explanation", ""),
        "rules": ", ".join(rails.get("rules", [])),
        "conflicts": "; ".join(rails.get("conflicts", [])),
        "allowed_range": " - ".join(f"{x:.2f}" for x in low_high),
        "bento": versions.get("bento") or "",
        "elasticity_model": versions.get("elasticity") or "",
        "agent_model": versions.get("agent") or "",
        "forecast_model": versions.get("forecast") or "",
        "snapshot": versions.get("snapshot") or "",
    }


def flatten_decisions(log: pd.DataFrame) -> pd.DataFrame:
    """One row per logged decision (newest first) with the answer's explanation, guardrails
    and model versions as columns (``read_decisions`` keeps the answer as JSON)."""
    if log.empty:
        return pd.DataFrame(columns=COLUMNS)
    answers = pd.DataFrame([_flat(json.loads(text)) for text in log["response"]], index=log.index)
    head = log[[c for c in COLUMNS if c in log.columns and c not in answers.columns]]
    out = pd.concat([head, answers], axis=1)[COLUMNS]
    return out.iloc[::-1].reset_index(drop=True)


def features_used(
    log: pd.DataFrame, request_id: str, product: str, location: str
) -> dict[str, Any]:
    """The online features one decision was made from (empty when not logged)."""
    mine = (log["product_id"] == product) & (log["location_id"] == location)
    rows = log[(log["request_id"] == request_id) & mine]
    return dict(json.loads(rows["features"].iloc[-1])) if not rows.empty else {}
