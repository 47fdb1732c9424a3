"""The monitor's rows: the window, its reference and the streamed rows it may add."""

from __future__ import annotations

import pandas as pd
import pytest

from pricing.monitoring.config import MonitorSettings
from pricing.monitoring.windows import (
    MonitorHistoryError,
    current_window,
    reference_rows,
    streamed_rows,
    window_entities,
    window_size,
)

DAYS = pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC")
AS_OF = DAYS[-1] + pd.Timedelta(days=1)  # the end of the last period


def test_the_window_is_the_last_periods_and_the_reference_the_windows_before():
    monitor = MonitorSettings(window=7, reference_windows=4)
    window = current_window(pd.Series(DAYS), AS_OF, "daily", monitor)
    assert (window.start, window.end, window.periods) == (DAYS[-7], DAYS[-1], 7)
    assert window.reference_start == DAYS[-7 - 28]


def test_too_short_a_history_says_what_it_needs():
    with pytest.raises(MonitorHistoryError, match="needs at least 16"):
        current_window(pd.Series(DAYS[:10]), AS_OF, "daily", MonitorSettings(window=8))


def test_the_reference_never_holds_the_window_even_when_the_snapshot_does():
    window = current_window(pd.Series(DAYS), AS_OF, "daily", MonitorSettings(reference_windows=2))
    snapshot = pd.DataFrame({"event_timestamp": DAYS, "units_sold": range(100)})
    reference = reference_rows(snapshot, window)
    assert reference["event_timestamp"].max() == DAYS[-8]
    assert len(reference) == 14  # two windows of 7 days


def test_a_snapshot_older_than_the_window_gives_its_own_last_windows():
    window = current_window(pd.Series(DAYS), AS_OF, "daily", MonitorSettings(reference_windows=1))
    snapshot = pd.DataFrame({"event_timestamp": DAYS[:50]})
    assert reference_rows(snapshot, window)["event_timestamp"].tolist() == list(DAYS[43:50])
    with pytest.raises(MonitorHistoryError, match="nothing to compare"):
        reference_rows(pd.DataFrame({"event_timestamp": DAYS[-3:]}), window)


def test_window_entities_are_the_observed_periods_inside_it():
    sales = pd.DataFrame(
        {
            "product_id": "P1",
            "location_id": "all",
            "date": DAYS,
            "observed": [True] * 98 + [False, True],
            "units_sold": 1.0,
            "price": 2.0,
        }
    )
    window = current_window(pd.Series(DAYS), AS_OF, "daily", MonitorSettings(window=7))
    entities = window_entities(sales, window)
    assert len(entities) == 6 and DAYS[-2] not in set(entities["event_timestamp"])


def test_streamed_state_fills_only_the_series_periods_batch_has_not_reached():
    window = current_window(pd.Series(DAYS), AS_OF, "daily", MonitorSettings(window=7))
    log = pd.DataFrame(
        {
            "product_id": ["P1", "P1", "P1", "P2"],
            "location_id": "all",
            "realtime_row_time": [1.0, 2.0, 3.0, 4.0],
            "realtime_price": [2.0, 2.5, 3.0, 4.0],
            "realtime_competitor_price": [2.0, 2.0, 2.0, 5.0],
            "realtime_on_hand": [10.0, 9.0, 8.0, 7.0],
        }
    )
    starts = pd.Series([DAYS[-2], DAYS[-1], DAYS[-1], DAYS[-1]])
    batch = pd.DataFrame(
        {"product_id": ["P1"], "location_id": ["all"], "event_timestamp": [DAYS[-2]]}
    )
    rows = streamed_rows(log, batch, window, starts)
    assert sorted(rows["product_id"]) == ["P1", "P2"]  # P1's day -2 is batch's
    p1 = rows[rows["product_id"] == "P1"].iloc[0]
    assert (p1["last_price"], p1["on_hand"], p1["price_gap_ratio"]) == (3.0, 8.0, 1.5)


def test_a_small_catalogue_gets_a_window_long_enough_to_hold_min_rows():
    monitor = MonitorSettings(min_rows=200)
    assert window_size("daily", monitor, series=30) == 7
    assert window_size("daily", monitor, series=8) == 25
    assert window_size("weekly", monitor) == 8
    window = current_window(pd.Series(DAYS), AS_OF, "daily", monitor, series=8)
    assert window.periods == 25 and window.start == DAYS[-25]


def test_a_monthly_reference_is_counted_in_months_not_days():
    months = pd.date_range("2020-01-01", periods=40, freq="MS", tz="UTC")
    monitor = MonitorSettings(window=3, reference_windows=2)
    window = current_window(
        pd.Series(months), months[-1] + pd.DateOffset(months=1), "monthly", monitor
    )
    snapshot = pd.DataFrame({"event_timestamp": months[:30]})  # ends before the window
    kept = reference_rows(snapshot, window)["event_timestamp"]
    assert kept.tolist() == list(months[24:30])  # six months, whatever their lengths
