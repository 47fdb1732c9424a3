"""Serving prefers a streamed value over the batch feature when the stream is newer."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pricing.serving.features import REALTIME_OVERRIDES, prefer_realtime

BATCH_TS = 1_709_596_800.0  # 2024-03-05T00:00Z: the end of the batch period


def row(**extra: Any) -> dict[str, Any]:
    """Batch features stamped at their period's end, plus ``extra`` (streamed values)."""
    return {
        "last_price": 2.49,
        "last_price__ts": BATCH_TS,
        "competitor_min_price": 2.39,
        "competitor_min_price__ts": BATCH_TS,
        "on_hand": 40.0,
        "on_hand__ts": BATCH_TS,
        **extra,
    }


def test_a_newer_streamed_competitor_price_wins() -> None:
    out = prefer_realtime(
        row(realtime_competitor_price=1.99, realtime_competitor_price_time=BATCH_TS + 3600)
    )
    assert out["competitor_min_price"] == 1.99
    assert out["competitor_min_price__ts"] == BATCH_TS + 3600  # it keeps its own time
    assert out["realtime_used"] == "competitor_min_price"
    assert (out["last_price"], out["on_hand"]) == (2.49, 40.0)


@pytest.mark.parametrize("when", [BATCH_TS - 3600, BATCH_TS])
def test_a_streamed_value_from_inside_the_batch_period_loses(when: float) -> None:
    out = prefer_realtime(row(realtime_competitor_price=1.99, realtime_competitor_price_time=when))
    assert out["competitor_min_price"] == 2.39
    assert out["competitor_min_price__ts"] == BATCH_TS
    assert "realtime_used" not in out


def test_a_missing_batch_value_takes_the_streamed_one() -> None:
    # what Feast answers for a key it holds nothing for: None and a zero timestamp
    out = prefer_realtime(
        {
            "competitor_min_price": None,
            "competitor_min_price__ts": 0,
            "realtime_competitor_price": 1.99,
            "realtime_competitor_price_time": BATCH_TS - 86_400,
        }
    )
    assert (out["competitor_min_price"], out["realtime_used"]) == (1.99, "competitor_min_price")
    out = prefer_realtime({"realtime_on_hand": 7.0, "realtime_on_hand_time": BATCH_TS})
    assert (out["on_hand"], out["on_hand__ts"], out["realtime_used"]) == (7.0, BATCH_TS, "on_hand")


def test_a_batch_value_missing_from_a_stamped_row_takes_the_streamed_one() -> None:
    # no rival seen in the batch period: the stream's last rival price beats nothing
    out = prefer_realtime(
        row(
            competitor_min_price=math.nan,
            realtime_competitor_price=1.99,
            realtime_competitor_price_time=BATCH_TS - 3600,
        )
    )
    assert out["competitor_min_price"] == 1.99
    assert out["realtime_used"] == "competitor_min_price"


def test_realtime_used_names_every_replaced_feature_in_order() -> None:
    later = BATCH_TS + 60
    out = prefer_realtime(
        row(
            realtime_price=2.19,
            realtime_price_time=later,
            realtime_competitor_price=2.09,
            realtime_competitor_price_time=BATCH_TS - 60,  # older: batch keeps it
            realtime_on_hand=12.0,
            realtime_on_hand_time=later,
        )
    )
    assert out["realtime_used"] == "last_price,on_hand"
    assert (out["last_price"], out["competitor_min_price"], out["on_hand"]) == (2.19, 2.39, 12.0)
    assert set(out["realtime_used"].split(",")) <= set(REALTIME_OVERRIDES)


@pytest.mark.parametrize(
    "streamed",
    [
        {},
        {"realtime_price": None, "realtime_price_time": BATCH_TS + 60},
        {"realtime_price": math.nan, "realtime_price_time": BATCH_TS + 60},
        {"realtime_price": 2.19, "realtime_price_time": None},
        {"realtime_price": 2.19},
    ],
)
def test_no_streamed_value_changes_nothing(streamed: dict[str, Any]) -> None:
    before = row(**streamed)
    assert prefer_realtime(dict(before)) == before
