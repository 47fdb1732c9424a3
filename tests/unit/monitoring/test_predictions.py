"""Served decisions become relative moves, confidences and fallback flags."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pricing.monitoring.predictions import MIN_DECISIONS, halves, served_frame


def decisions(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "logged_at": pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC"),
            "policy": ["ppo"] * (n - 1) + ["fallback"],
            "recommended_price": 2.2,
            "current_price": 2.0,
            "response": [json.dumps({"confidence": 0.7})] * n,
        }
    )


def test_served_frame_reads_moves_confidence_and_fallbacks():
    served = served_frame(decisions(3))
    assert served["price_move"].tolist() == pytest.approx([0.1] * 3)
    assert served["confidence"].tolist() == [0.7] * 3
    assert served["fallback"].tolist() == [0.0, 0.0, 1.0]


def test_halves_need_enough_decisions_on_each_side():
    assert halves(served_frame(decisions(2 * MIN_DECISIONS - 1))) is None
    earlier, later = halves(served_frame(decisions(2 * MIN_DECISIONS)))
    assert len(earlier) == len(later) == MIN_DECISIONS
    assert earlier["logged_at"].max() < later["logged_at"].min()
    assert served_frame(pd.DataFrame()).empty


def test_a_half_served_by_fallbacks_alone_leaves_confidence_untested_not_a_crash():
    from pricing.monitoring.predictions import PREDICTION_COLUMNS
    from pricing.monitoring.verdict import columns_to_test

    frame = decisions(2 * MIN_DECISIONS)
    frame["recommended_price"] = 2.0 + 0.01 * frame.index  # moves that vary
    later = frame.index >= MIN_DECISIONS
    frame.loc[later, "policy"] = "fallback"
    frame.loc[later, "response"] = json.dumps({"confidence": None})
    earlier_half, later_half = halves(served_frame(frame))
    columns, untested = columns_to_test(earlier_half, later_half, list(PREDICTION_COLUMNS))
    assert columns == ["price_move"]
    assert set(untested) == {"confidence", "fallback"}  # fallback: constant before
    assert later_half["fallback"].mean() == 1.0
