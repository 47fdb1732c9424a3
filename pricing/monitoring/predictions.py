"""Prediction drift: what the service served lately against what it served before.

Served prices are compared as relative moves (recommended / current - 1), so a catalogue's
price levels do not masquerade as drift; with the confidence and the fallback flag they tell
whether the policy started behaving differently. The decision log's later half is compared
with its earlier half.
"""

from __future__ import annotations

import json

import pandas as pd

#: Each half needs at least this many decisions to be compared.
MIN_DECISIONS = 30
PREDICTION_COLUMNS = ("price_move", "confidence", "fallback")


def served_frame(decisions: pd.DataFrame) -> pd.DataFrame:
    """Per decision: when, what moved, how sure, whether it fell back."""
    if decisions.empty:
        return pd.DataFrame(columns=["logged_at", *PREDICTION_COLUMNS])
    responses = decisions["response"].map(json.loads)
    current = pd.to_numeric(decisions["current_price"], errors="coerce")
    recommended = pd.to_numeric(decisions["recommended_price"], errors="coerce")
    return pd.DataFrame(
        {
            "logged_at": pd.to_datetime(decisions["logged_at"], utc=True),
            "price_move": recommended / current.where(current > 0) - 1.0,
            "confidence": pd.to_numeric(responses.map(lambda r: r.get("confidence")), "coerce"),
            "fallback": (decisions["policy"] == "fallback").astype(float),
        }
    )


def halves(served: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(earlier, later) halves of the served decisions; None with too few to compare."""
    if len(served) < 2 * MIN_DECISIONS:
        return None
    ordered = served.sort_values("logged_at", kind="stable").reset_index(drop=True)
    middle = len(ordered) // 2
    return ordered.iloc[:middle], ordered.iloc[middle:]
