"""The realtime view's offline log rebuilds what batch says each period held: replay a small
market's rows as events, fold them in micro-batches (one redelivered), compare aggregates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pricing.data.grain import period_start_of
from pricing.market.generate import generate_market
from pricing.streaming.events import Event
from pricing.streaming.realtime import Key, State, fold
from pricing.streaming.rebuild import (
    AGGREGATES,
    batch_aggregates,
    reconcile,
    streamed_aggregates,
)
from pricing.streaming.replay import events_from_tables

PeriodStart = Callable[[Any], float]


def utc_day(when: Any) -> float:
    return float(pd.Timestamp(when).floor("D").timestamp())


def market() -> dict[str, pd.DataFrame]:
    """3 products x 10 days, with a substitute, an unobserved period, fractional and zero
    units and a missing stock count added to what the simulator gives."""
    tables = generate_market(3, 10, seed=5).batch.tables()
    sales = tables["sales"].copy()
    sales.loc[4, "observed"] = False
    sales.loc[5, "units_sold"] = 2.5
    sales.loc[6, "units_sold"] = 0.0
    sales.loc[7, "units_sold"] = 1 / 3
    inventory = tables["inventory"].copy()
    inventory.loc[8, "on_hand"] = np.nan
    rivals = tables["competitor_prices"]
    substitutes = rivals[rivals["competitor_id"] == "C1"].iloc[::2]
    substitutes = substitutes.assign(
        competitor_id="S1", competitor_type="substitute", price=substitutes["price"] * 0.7
    )
    return {
        **tables,
        "sales": sales,
        "inventory": inventory,
        "competitor_prices": pd.concat([rivals, substitutes], ignore_index=True),
    }


def weekly(tables: dict[str, pd.DataFrame], first: str) -> dict[str, pd.DataFrame]:
    """The same rows as weeks starting on ``first`` (a Wednesday: not pandas' week start)."""
    start = pd.Timestamp(first, tz="UTC")
    out = {}
    for name, frame in tables.items():
        if "date" not in frame:
            out[name] = frame
            continue
        days = (frame["date"] - frame["date"].min()).dt.days
        date = start + pd.to_timedelta(days * 7, unit="D")
        out[name] = frame.assign(date=date, event_timestamp=date + pd.Timedelta(days=7))
    return out


def batches(events: list[Event], sizes: list[int]) -> list[list[Event]]:
    """Micro-batches of the given sizes (cycled), with redeliveries: the batch just folded
    again with the next one, two batches again (a consumer rewound to an older commit), and
    the first batch again at the end."""
    out, at, turn = [], 0, 0
    while at < len(events):
        size = sizes[turn % len(sizes)]
        out.append(events[at : at + size])
        at, turn = at + size, turn + 1
    assert len(out) >= 5
    redelivered = [*out[:3], out[2] + out[3], out[4], out[3] + out[4], *out[5:], out[0]]
    assert sum(map(len, redelivered)) > len(events)
    return redelivered


def streamed_log(events: list[Event], sizes: list[int], period_start: PeriodStart) -> pd.DataFrame:
    """Fold like the consumer (states carried over, each batch sorted by event time) and keep
    every row pushed, as the offline log does."""
    states: dict[Key, State] = {}
    rows: list[State] = []
    for batch in batches(events, sizes):
        folded = fold(sorted(batch, key=lambda e: e.event_time), states, period_start)
        states.update(folded.states)
        rows.extend(folded.rows)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("sizes", [[7, 30, 1, 50], [25], [1, 2, 3]])
def test_streamed_daily_aggregates_equal_batch(sizes: list[int]) -> None:
    tables = market()
    events = events_from_tables(tables, "daily")
    streamed = streamed_aggregates(streamed_log(events, sizes, utc_day), utc_day)
    expected = batch_aggregates(tables)
    pd.testing.assert_frame_equal(streamed, expected, rtol=1e-9)
    # the fixture reaches every aggregate (and the unobserved period has none of the sales)
    assert expected[AGGREGATES].notna().any().all()
    assert len(expected) == 30


def test_streamed_weekly_aggregates_equal_batch_on_the_homes_weeks() -> None:
    tables = weekly(market(), "2024-01-03")
    anchor = pd.Timestamp(tables["sales"]["date"].max())

    def week(when: Any) -> float:
        return float(period_start_of(pd.Timestamp(when), "weekly", anchor).timestamp())

    events = events_from_tables(tables, "weekly")
    streamed = streamed_aggregates(streamed_log(events, [11, 40, 5], week), week)
    expected = batch_aggregates(tables)
    pd.testing.assert_frame_equal(streamed, expected, rtol=1e-9)
    assert pd.to_datetime(expected["period"], unit="s").dt.day_name().eq("Wednesday").all()


def test_the_log_in_any_row_order_gives_the_same_aggregates() -> None:
    tables = market()
    log = streamed_log(events_from_tables(tables, "daily"), [9, 4], utc_day)
    shuffled = log.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(
        streamed_aggregates(shuffled, utc_day), streamed_aggregates(log, utc_day)
    )


def test_a_lost_sale_shows_up_as_a_difference() -> None:
    tables = market()
    events = events_from_tables(tables, "daily")
    dropped = next(i for i, e in enumerate(events) if e.event_id.startswith("sale:"))
    log = streamed_log(events[:dropped] + events[dropped + 1 :], [13], utc_day)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(
            streamed_aggregates(log, utc_day), batch_aggregates(tables), rtol=1e-9
        )


def test_period_start_of_follows_the_anchor() -> None:
    anchor = pd.Timestamp("2024-01-03", tz="UTC")  # a Wednesday
    for when, start in [
        ("2024-01-03T00:00:00Z", "2024-01-03"),
        ("2024-01-09T23:59:59Z", "2024-01-03"),
        ("2024-01-10T00:00:00Z", "2024-01-10"),
        ("2023-12-27T00:00:01Z", "2023-12-27"),  # before the anchor
        ("2023-12-26T23:59:59Z", "2023-12-20"),
    ]:
        got = period_start_of(pd.Timestamp(when), "weekly", anchor)
        assert got == pd.Timestamp(start, tz="UTC")
    naive = period_start_of(pd.Timestamp("2024-01-05 10:00"), "daily", anchor)
    assert naive == pd.Timestamp("2024-01-05", tz="UTC")
    zoned = pd.Timestamp("2024-02-01T01:00:00+02:00")  # still January in UTC
    assert period_start_of(zoned, "monthly", anchor) == pd.Timestamp("2024-01-01", tz="UTC")
    assert period_start_of(zoned, "daily", anchor) == pd.Timestamp("2024-01-31", tz="UTC")


def test_reconcile_names_the_cells_that_disagree_and_only_over_shared_periods() -> None:
    batch = batch_aggregates(market())
    streamed = batch.copy()
    assert reconcile(streamed, batch).empty
    streamed.loc[3, "units"] += 1.0
    streamed.loc[5, "on_hand"] = np.nan  # a value only batch has
    later = streamed.iloc[:1].assign(period=streamed["period"].max() + 86400.0)
    found = reconcile(pd.concat([streamed, later], ignore_index=True), batch)
    assert sorted(found["aggregate"]) == ["on_hand", "units"]  # not the later period
    assert len(found) == 2
    units = found[found["aggregate"] == "units"].iloc[0]
    assert units["stream"] == units["batch"] + 1.0
