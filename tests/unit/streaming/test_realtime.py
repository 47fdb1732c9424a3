"""Folding events into the realtime view: idempotent by event id, values only move forward in
event time, one row per (series, period) touched, row stamps strictly later per series."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

import pandas as pd
import pytest

from pricing.streaming.events import (
    CompetitorPriceEvent,
    Event,
    InventoryEvent,
    SaleEvent,
)
from pricing.streaming.realtime import (
    REALTIME_FEATURES,
    ROW_STEP,
    SALE_IDS,
    Folded,
    Key,
    State,
    fold,
)

DAY0 = datetime(2024, 3, 4, tzinfo=UTC)
SERIES: Key = ("P1", "all")


def day_start(when: Any) -> float:
    """Daily periods: the UTC day holding ``when``, as epoch seconds."""
    return float(pd.Timestamp(when).floor("D").timestamp())


def at(day: int, hour: float) -> datetime:
    return DAY0 + timedelta(days=day, hours=hour)


def sale(
    event_id: str, day: int, hour: float, units: float, price: float = 2.0, product: str = "P1"
) -> SaleEvent:
    return SaleEvent(
        schema_version=1,
        event_id=event_id,
        event_time=at(day, hour),
        product_id=product,
        units=units,
        price=price,
    )


def stock(event_id: str, day: int, hour: float, on_hand: float, product: str = "P1") -> Event:
    return InventoryEvent(
        schema_version=1,
        event_id=event_id,
        event_time=at(day, hour),
        product_id=product,
        on_hand=on_hand,
    )


def rival(
    event_id: str,
    day: int,
    hour: float,
    price: float,
    kind: Literal["competitor", "substitute"] = "competitor",
    product: str = "P1",
) -> Event:
    return CompetitorPriceEvent(
        schema_version=1,
        event_id=event_id,
        event_time=at(day, hour),
        product_id=product,
        competitor_id="C1" if kind == "competitor" else "S1",
        competitor_type=kind,
        price=price,
    )


def plain(state: State) -> dict[str, Any]:
    """A state comparable with ==: NaN read as None."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in state.items()}


def plains(states: dict[Key, State]) -> dict[Key, dict[str, Any]]:
    return {key: plain(state) for key, state in states.items()}


def run(batches: Sequence[Sequence[Event]], states: dict[Key, State] | None = None) -> list[Folded]:
    """Fold batches one after another, as the consumer does (states carried over)."""
    states = dict(states or {})
    out = []
    for batch in batches:
        folded = fold(batch, states, day_start)
        states.update(folded.states)
        out.append(folded)
    return out


def final(folds: list[Folded]) -> dict[Key, State]:
    states: dict[Key, State] = {}
    for folded in folds:
        states.update(folded.states)
    return states


#: Two days of one series, plus a second series; two sales share an event time.
BATCH: list[Event] = [
    sale("s1", 0, 9, 2.0, price=2.0),
    rival("r1", 0, 9.5, 1.9),
    stock("k1", 0, 10, 40),
    sale("s2", 0, 11, 3.0, price=2.1),
    sale("s3", 0, 11, 1.5, price=2.1),
    sale("q1", 0, 12, 5.0, price=7.0, product="P2"),
    rival("u1", 0, 13, 1.7, kind="substitute"),
    sale("s4", 1, 9, 4.0, price=2.2),
    stock("k2", 1, 10, 30),
    rival("r2", 1, 11, 1.8),
    sale("q2", 1, 12, 1.0, price=7.5, product="P2"),
]


def test_a_batch_sets_the_latest_values_and_the_current_period_units() -> None:
    folded = fold(BATCH, {}, day_start)
    state = folded.states[SERIES]
    assert state["realtime_units_in_period"] == 4.0  # day 1 alone
    assert state["realtime_period_start"] == at(1, 0).timestamp()
    assert (state["realtime_price"], state["realtime_price_time"]) == (2.2, at(1, 9).timestamp())
    assert state["realtime_on_hand"] == 30
    assert state["realtime_competitor_price"] == 1.8
    assert (state["realtime_substitute_price"], state["realtime_substitute_price_time"]) == (
        1.7,
        at(0, 13).timestamp(),
    )
    assert state["realtime_sales_time"] == at(1, 9).timestamp()
    assert state[SALE_IDS] == "s4"
    assert folded.states[("P2", "all")]["realtime_units_in_period"] == 1.0
    assert (folded.applied, folded.duplicates, folded.stale) == (len(BATCH), 0, [])


def test_the_input_states_are_not_changed() -> None:
    before = fold(BATCH[:3], {}, day_start).states
    kept = plains(before)
    fold(BATCH, before, day_start)
    assert plains(before) == kept


def values(row: State) -> dict[str, Any]:
    """A row's features (the key columns aside)."""
    return plain({k: v for k, v in row.items() if k not in ("product_id", "location_id")})


def test_the_same_batch_twice_changes_nothing() -> None:
    first, again = run([BATCH, BATCH])
    assert plains(again.states) == plains(first.states)
    assert again.applied == 0
    assert again.duplicates + len(again.stale) == len(BATCH)
    # each row it writes is the series' stored row, stamp included: the online store skips it
    assert again.rows
    for row in again.rows:
        assert values(row) == plain(first.states[(row["product_id"], row["location_id"])])


@pytest.mark.parametrize("cut", range(len(BATCH) + 1))
def test_a_prefix_then_the_whole_batch_counts_each_event_once(cut: int) -> None:
    whole = fold(BATCH, {}, day_start).states
    folds = run([BATCH[:cut], BATCH])
    assert plains(final(folds)) == plains(whole)
    assert sum(f.applied for f in folds) == len(BATCH)


def test_a_redelivered_batch_amid_others_changes_nothing() -> None:
    first, second = BATCH[:5], BATCH[5:]
    once = final(run([first, second]))
    assert plains(final(run([first, second, first, second, second]))) == plains(once)
    assert plains(final(run([first, first, second, first]))) == plains(once)


def test_a_new_period_resets_the_units() -> None:
    day0 = [sale("a", 0, 9, 2.0), sale("b", 0, 15, 3.0)]
    (folded,) = run([[*day0, sale("c", 1, 8, 4.0)]])
    assert folded.states[SERIES]["realtime_units_in_period"] == 4.0
    first, later = run([day0, [sale("c", 1, 8, 4.0)]])
    assert first.states[SERIES]["realtime_units_in_period"] == 5.0
    assert later.states[SERIES]["realtime_units_in_period"] == 4.0
    assert later.states[SERIES]["realtime_period_start"] == at(1, 0).timestamp()
    assert later.states[SERIES][SALE_IDS] == "c"


def test_a_sale_older_than_the_watermark_is_stale_and_not_counted() -> None:
    counted, late = run([[sale("a", 0, 10, 2.0, price=2.0)], [sale("b", 0, 9, 5.0, price=9.0)]])
    assert late.stale == [sale("b", 0, 9, 5.0, price=9.0)]
    assert (late.applied, late.duplicates) == (0, 0)
    assert plains(late.states) == plains(counted.states)  # units and price untouched
    assert late.rows == []  # nothing touched


def test_a_sale_of_a_period_already_closed_is_stale() -> None:
    _, late = run([[sale("a", 1, 10, 2.0)], [sale("b", 0, 23, 5.0), stock("k", 1, 11, 8)]])
    assert [e.event_id for e in late.stale] == ["b"]
    assert late.states[SERIES]["realtime_units_in_period"] == 2.0
    assert late.states[SERIES]["realtime_on_hand"] == 8  # the rest of the batch still applies


def test_sales_at_the_same_time_both_count_and_neither_counts_twice() -> None:
    a, b = sale("a", 0, 10, 2.0), sale("b", 0, 10, 3.0)
    (together,) = run([[a, b]])
    assert together.states[SERIES]["realtime_units_in_period"] == 5.0
    assert together.applied == 2
    for redelivery in ([a], [b], [b, a], [a, b, a]):
        folds = run([[a, b], redelivery])
        assert folds[1].states[SERIES]["realtime_units_in_period"] == 5.0
        assert folds[1].duplicates == len(redelivery)
    (repeated,) = run([[a, b, b, a]])
    assert repeated.states[SERIES]["realtime_units_in_period"] == 5.0
    assert (repeated.applied, repeated.duplicates) == (2, 2)
    # one at a time, in either order
    for order in ([a, b], [b, a]):
        folds = run([[order[0]], [order[1]], [order[0]]])
        assert final(folds)[SERIES]["realtime_units_in_period"] == 5.0


@pytest.mark.parametrize(
    ("newer", "older", "value", "when"),
    [
        (stock("k2", 0, 12, 5), stock("k1", 0, 11, 9), "realtime_on_hand", at(0, 12)),
        (rival("r2", 0, 12, 1.5), rival("r1", 0, 11, 1.9), "realtime_competitor_price", at(0, 12)),
        (
            rival("u2", 0, 12, 1.5, kind="substitute"),
            rival("u1", 0, 11, 1.9, kind="substitute"),
            "realtime_substitute_price",
            at(0, 12),
        ),
        (
            sale("s2", 0, 12, 1.0, price=2.5),
            sale("s1", 0, 11, 1.0, price=2.0),
            "realtime_price",
            at(0, 12),
        ),
    ],
)
def test_last_values_never_move_back_in_time(
    newer: Event, older: Event, value: str, when: datetime
) -> None:
    expected = getattr(newer, "on_hand", None) or getattr(newer, "price", None)
    for batches in ([[newer, older]], [[newer], [older]]):
        state = final(run(batches))[SERIES]
        assert (state[value], state[value + "_time"]) == (expected, when.timestamp())


def test_a_late_value_of_another_kind_still_applies() -> None:
    late = [stock("k", 0, 8, 7), rival("r", 0, 7, 1.1)]  # older than the sale, first of their kind
    state = final(run([[sale("s", 0, 12, 1.0)], late]))[SERIES]
    assert (state["realtime_on_hand"], state["realtime_competitor_price"]) == (7, 1.1)


def rows_of(folds: list[Folded], key: Key) -> list[State]:
    return [r for f in folds for r in f.rows if (r["product_id"], r["location_id"]) == key]


def test_row_times_strictly_increase_per_series_within_and_across_batches() -> None:
    batches = [
        [stock("k1", 0, 10, 40), sale("s1", 0, 10, 1.0), sale("q1", 0, 10, 1.0, product="P2")],
        # the same event time as the last row, another value: the stamp still moves on
        [rival("r1", 0, 10, 1.9)],
        # three periods in one batch
        [sale("s2", 1, 9, 2.0), stock("k2", 1, 23.9999, 35), rival("r2", 2, 6, 1.8)],
        [sale("q2", 3, 1, 1.0, product="P2"), stock("k3", 3, 2, 30)],
        # a late stock count changes nothing: its period's row repeats the stored one
        [stock("k0", 0, 9, 41), sale("s3", 4, 1, 1.0)],
    ]
    folds = run(batches)
    for key in (SERIES, ("P2", "all")):
        rows = rows_of(folds, key)
        for earlier, later in pairwise(rows):
            if values(later) == values(earlier):  # the very same row again
                continue
            assert later["realtime_row_time"] > earlier["realtime_row_time"]
        assert final(folds)[key]["realtime_row_time"] == rows[-1]["realtime_row_time"]
    stamps = [r["realtime_row_time"] for r in rows_of(folds, SERIES)]
    assert stamps[1] == pytest.approx(stamps[0] + ROW_STEP)
    assert len(set(stamps)) == len(stamps) - 1  # only the repeated row shares its stamp


def test_a_row_is_stamped_no_earlier_than_the_values_it_holds() -> None:
    for row in fold(BATCH, {}, day_start).rows:
        times = [row[n] for n in REALTIME_FEATURES if n.endswith("_time")]
        assert row["realtime_row_time"] >= max(t for t in times if not math.isnan(t))


def test_a_row_for_every_series_and_period_touched() -> None:
    events = [
        stock("k0", 0, 10, 40),
        sale("q0", 0, 11, 1.0, product="P2"),
        rival("r1", 1, 10, 1.9),  # a period with no sale
        stock("k1", 1, 11, 35),
        stock("k3", 3, 11, 20),  # day 2 untouched
        stock("j3", 3, 12, 9, product="P2"),
    ]
    rows = fold(events, {}, day_start).rows
    assert {r["product_id"] for r in rows} == {"P1", "P2"}
    one, two = rows_of([Folded(rows=rows)], SERIES), rows_of([Folded(rows=rows)], ("P2", "all"))
    # the state at the end of each period touched, in period order
    assert [r["realtime_on_hand"] for r in one] == [40, 35, 20]
    assert [r["realtime_on_hand_time"] for r in one] == [
        at(0, 10).timestamp(),
        at(1, 11).timestamp(),
        at(3, 11).timestamp(),
    ]
    assert one[1]["realtime_competitor_price"] == 1.9
    assert [plain(r)["realtime_on_hand"] for r in two] == [None, 9]
    assert [r["realtime_units_in_period"] for r in two] == [1.0, 1.0]
    assert all(r["location_id"] == "all" for r in rows)
