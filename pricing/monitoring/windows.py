"""Which rows the monitor compares: the current window and its reference.

The current window is the home's last ``window`` periods up to ``PRICING_AS_OF``; its rows
come from the offline store (Feast historical retrieval over the base service, the very join
training snapshots use), plus streamed state for the series-periods inside the window that
the batch data lacks (the window ends at the last batch period: streamed state newer than
that is not tested yet). The reference is what the ``prod`` models learnt from: the rows of their
training snapshot in the ``reference_windows`` windows before the current one (recent
enough that seasons and slow trends are not called drift, and never the window itself, so
a snapshot that already holds the window still tests it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pricing.data.grain import period_range
from pricing.data.home import NoDataError
from pricing.data.schemas import KEY
from pricing.monitoring.config import MonitorSettings

#: Periods in the current window when Settings leave it unset.
DEFAULT_WINDOW = {"daily": 7, "weekly": 8, "monthly": 3}
#: Realtime log column -> the batch feature it stands in for in the current window.
STREAMED_AS = {
    "realtime_price": "last_price",
    "realtime_competitor_price": "competitor_min_price",
    "realtime_on_hand": "on_hand",
}


class MonitorHistoryError(NoDataError):
    """Too little history, or no trained models, to compare a window with."""


@dataclass(frozen=True)
class MonitorWindow:
    """The current window ``[start, end]`` (period starts) and its reference's first period."""

    grain: str
    start: pd.Timestamp
    end: pd.Timestamp
    periods: int
    reference_start: pd.Timestamp

    def as_dict(self) -> dict[str, str | int]:
        return {
            "window_start": self.start.isoformat(),
            "window_end": self.end.isoformat(),
            "window_periods": self.periods,
            "reference_start": self.reference_start.isoformat(),
        }


def window_size(grain: str, monitor: MonitorSettings, series: int | None = None) -> int:
    """Periods in a window: the grain's default (or Settings'), longer for a catalogue of
    ``series`` too small to fill ``min_rows`` rows in that many periods."""
    size = monitor.window or DEFAULT_WINDOW[grain]
    return max(size, math.ceil(monitor.min_rows / series)) if series else size


def current_window(
    period_starts: pd.Series,
    as_of: pd.Timestamp,
    grain: str,
    monitor: MonitorSettings,
    series: int | None = None,
) -> MonitorWindow:
    """The last ``window`` periods whose start is before ``as_of``, and the reference span.

    ``period_starts``: the observed periods' starts (the sales table's ``date``); ``series``:
    how many series the catalogue holds (a small one gets a longer window)."""
    known = pd.to_datetime(period_starts[period_starts < as_of], utc=True)
    if known.empty:
        raise MonitorHistoryError("no observed period before PRICING_AS_OF to monitor")
    periods = period_range(known.min(), known.max(), grain)
    size = window_size(grain, monitor, series)
    if len(periods) < 2 * size:
        raise MonitorHistoryError(
            f"the monitor compares a window of {size} periods with the ones before it; the "
            f"home holds {len(periods)} periods (needs at least {2 * size})"
        )
    first_reference = max(len(periods) - size * (1 + monitor.reference_windows), 0)
    return MonitorWindow(grain, periods[-size], periods[-1], size, periods[first_reference])


def reference_rows(snapshot: pd.DataFrame, window: MonitorWindow) -> pd.DataFrame:
    """The snapshot's rows from the reference span: before the window, the last
    ``reference_windows`` windows' worth of periods the snapshot holds before it."""
    stamps = pd.to_datetime(snapshot["event_timestamp"], utc=True)
    before = snapshot[stamps < window.start]
    if before.empty:
        raise MonitorHistoryError(
            f"the prod models' training snapshot holds no period before the window "
            f"({window.start.date()}): nothing to compare it with"
        )
    stamps = stamps[stamps < window.start]
    periods = len(period_range(window.reference_start, window.start, window.grain)) - 1
    kept = np.sort(stamps.unique())[-periods:]  # counted in periods: months differ in days
    return before[stamps.isin(kept)].reset_index(drop=True)


def window_entities(sales: pd.DataFrame, window: MonitorWindow) -> pd.DataFrame:
    """Entity rows (series, period start) of the window's observed periods, as snapshots
    make them: the features are those known when each period's price was set."""
    dates = pd.to_datetime(sales["date"], utc=True)
    inside = sales["observed"] & (dates >= window.start) & (dates <= window.end)
    frame = sales.loc[inside, [*KEY, "date", "units_sold", "price"]]
    return frame.rename(columns={"date": "event_timestamp"}).reset_index(drop=True)


def streamed_rows(
    log: pd.DataFrame, batch: pd.DataFrame, window: MonitorWindow, period_start: pd.Series
) -> pd.DataFrame:
    """One row per series and period of streamed state inside the window (its latest state
    in that period), for the series-periods the batch rows do not cover; the streamed
    values stand in for the features they update (``STREAMED_AS``).

    ``period_start``: the period start of each log row (same index as ``log``)."""
    if log.empty:
        return pd.DataFrame(columns=[*KEY, "event_timestamp", *STREAMED_AS.values()])
    frame = log.assign(event_timestamp=period_start)
    frame = frame[
        (frame["event_timestamp"] >= window.start) & (frame["event_timestamp"] <= window.end)
    ]
    frame = frame.sort_values("realtime_row_time", kind="stable")
    latest = frame.groupby([*KEY, "event_timestamp"], as_index=False).last()
    covered = batch[[*KEY, "event_timestamp"]].assign(_batch=True)
    latest = latest.merge(covered, on=[*KEY, "event_timestamp"], how="left")
    latest = latest[latest["_batch"].isna()]
    out = latest[[*KEY, "event_timestamp", *STREAMED_AS]].rename(columns=STREAMED_AS)
    price, rival = out["last_price"], out["competitor_min_price"]
    return out.assign(price_gap_ratio=price / rival.where(rival > 0)).reset_index(drop=True)
