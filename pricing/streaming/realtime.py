"""The ``realtime`` view's rows: events folded into the latest state of each series.

Pure logic. A series' state holds the last shelf price, the last price per competitor type,
the stock on hand (each with its event time) and the units sold so far in the current
period. Folding is idempotent by event id: a value only moves forward in event time, and a
sale is counted once (its time passes the series' sales watermark, or equals it with an id
not yet counted there), so a redelivered batch yields the very same rows. A sale older than
the watermark is returned as *stale*: a redelivery (already counted) and a genuinely late
sale look alike there, so it is never counted twice; the consumer reports how many it saw.
Late sales reach the totals through the next batch ingest of the source system's records.

One row is emitted per (series, event period) a batch touches: the state after the batch's
last event of that period, stamped strictly later than the series' previous row (online
stores keep a stored row over one with the same timestamp). The offline log so holds every
period's final values (units, last price, stock, competitor prices) as long as one series'
events arrive in event-time order (one Kafka partition per series keeps them so), which is
what the batch rebuild reads (``pricing.streaming.rebuild``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pricing.streaming.events import (
    CompetitorPriceEvent,
    Event,
    InventoryEvent,
    SaleEvent,
    epoch,
)

VIEW = "realtime"
PUSH_SOURCE = "realtime_push"
#: feature -> description; every time is epoch seconds (UTC).
REALTIME_FEATURES: dict[str, str] = {
    "realtime_price": "Our shelf price in the latest streamed sale.",
    "realtime_price_time": "Event time of realtime_price (epoch s).",
    "realtime_competitor_price": "Latest streamed price of a rival retailer.",
    "realtime_competitor_price_time": "Event time of realtime_competitor_price (epoch s).",
    "realtime_substitute_price": "Latest streamed price of a substitute product.",
    "realtime_substitute_price_time": "Event time of realtime_substitute_price (epoch s).",
    "realtime_on_hand": "Units on hand in the latest streamed stock count.",
    "realtime_on_hand_time": "Event time of realtime_on_hand (epoch s).",
    "realtime_units_in_period": "Units sold so far in the current period (streamed sales).",
    "realtime_period_start": "Start of the period realtime_units_in_period counts (epoch s).",
    "realtime_sales_time": "Event time of the latest sale counted (epoch s).",
    "realtime_row_time": "Timestamp of this row (epoch s): later than the series' last row.",
}
#: String feature: ids of the sales counted at ``realtime_sales_time`` (redeliveries skip).
SALE_IDS = "realtime_sale_ids"
#: Row stamps step at least this much past the series' previous row.
ROW_STEP = 0.001

State = dict[str, Any]
Key = tuple[str, str]
PeriodStart = Callable[[datetime], float]

_PRICE_FIELD = {
    "competitor": "realtime_competitor_price",
    "substitute": "realtime_substitute_price",
}


def empty_state() -> State:
    return {**dict.fromkeys(REALTIME_FEATURES, math.nan), SALE_IDS: ""}


def _known(value: Any) -> float:
    """A stored float (NaN when missing)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def state_from_row(row: Mapping[str, Any]) -> State:
    """The state stored online (missing features read as NaN)."""
    state: State = {name: _known(row.get(name)) for name in REALTIME_FEATURES}
    state[SALE_IDS] = str(row.get(SALE_IDS) or "")
    return state


def _newer(when: float, stored: float) -> bool:
    return math.isnan(stored) or when >= stored


@dataclass
class Folded:
    """A batch folded: rows to push, new states, and what was skipped."""

    rows: list[State] = field(default_factory=list)
    states: dict[Key, State] = field(default_factory=dict)
    applied: int = 0
    duplicates: int = 0
    stale: list[Event] = field(default_factory=list)


def _apply_sale(state: State, event: SaleEvent, when: float, period: float) -> bool | None:
    """Count a sale; True applied, False a redelivery, None stale (older than the watermark)."""
    stored_period = state["realtime_period_start"]
    if not math.isnan(stored_period) and period < stored_period:
        return None
    if math.isnan(stored_period) or period > stored_period:
        state.update(realtime_period_start=period, realtime_units_in_period=0.0)
        state["realtime_sales_time"], state[SALE_IDS] = math.nan, ""
    watermark = state["realtime_sales_time"]
    ids = state[SALE_IDS].split("\n") if state[SALE_IDS] else []
    if not math.isnan(watermark) and when < watermark:
        return None
    if when == watermark and event.event_id in ids:
        return False
    state["realtime_units_in_period"] += event.units
    state[SALE_IDS] = "\n".join([*ids, event.event_id]) if when == watermark else event.event_id
    state["realtime_sales_time"] = when
    if _newer(when, state["realtime_price_time"]):
        state.update(realtime_price=event.price, realtime_price_time=when)
    return True


def _apply_value(state: State, name: str, value: float, when: float) -> bool:
    """Set a last-value feature if the event is not older; False if nothing changed."""
    if not _newer(when, state[name + "_time"]):
        return False
    if state[name] == value and state[name + "_time"] == when:
        return False
    state[name], state[name + "_time"] = value, when
    return True


def _apply(state: State, event: Event, period_start: PeriodStart) -> bool | None:
    when = epoch(event.event_time)
    if isinstance(event, SaleEvent):
        return _apply_sale(state, event, when, period_start(event.event_time))
    if isinstance(event, InventoryEvent):
        return _apply_value(state, "realtime_on_hand", event.on_hand, when)
    if isinstance(event, CompetitorPriceEvent):
        return _apply_value(state, _PRICE_FIELD[event.competitor_type], event.price, when)
    raise TypeError(f"not an event: {event!r}")


def _latest_time(state: State) -> float:
    times = [
        state[n] for n in REALTIME_FEATURES if n.endswith("_time") and n != "realtime_row_time"
    ]
    return max((t for t in times if not math.isnan(t)), default=0.0)


def _same(a: State, b: State) -> bool:
    """Equal values (NaN equal to NaN), the row stamp aside."""
    for name in [*REALTIME_FEATURES, SALE_IDS]:
        if name == "realtime_row_time":
            continue
        x, y = a[name], b[name]
        if x != y and not (isinstance(x, float) and isinstance(y, float) and x != x and y != y):
            return False
    return True


def fold(
    events: Iterable[Event],
    states: Mapping[Key, State],
    period_start: PeriodStart,
) -> Folded:
    """Apply ``events`` (in arrival order) to copies of ``states`` (missing keys start empty).

    Every (series, period) the batch touches gets a row, changed or not. A redelivered batch
    (its events already folded) so rewrites the series' stored row, same values and stamp,
    which the online store skips; sales of a period the series has left are stale and give
    no row. Rows whose values differ are stamped strictly later than the series' last row;
    a row repeating the stored one keeps its stamp.
    """
    out = Folded()
    touched: dict[Key, dict[float, State]] = {}
    for event in events:
        key = event.key
        state = out.states.setdefault(key, dict(states.get(key) or empty_state()))
        result = _apply(state, event, period_start)
        if result is None:
            out.stale.append(event)
            continue
        out.applied += int(result)
        out.duplicates += int(not result)
        touched.setdefault(key, {})[period_start(event.event_time)] = dict(state)
    for key, periods in touched.items():
        stored = dict(states.get(key) or empty_state())
        previous = stored["realtime_row_time"]
        for period in sorted(periods):
            row = periods[period]
            if _same(row, stored):
                row["realtime_row_time"] = stored["realtime_row_time"]
            else:
                floor = previous + ROW_STEP if not math.isnan(previous) else 0.0
                row["realtime_row_time"] = previous = max(_latest_time(row), floor)
            out.rows.append({"product_id": key[0], "location_id": key[1], **row})
        out.states[key]["realtime_row_time"] = out.rows[-1]["realtime_row_time"]
    return out
