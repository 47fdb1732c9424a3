"""The streaming benchmark's pure parts: its events, the lost count and the freshness read
off the store polls, on a few hand-made series."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pricing.evaluation.stream_bench import (
    count_lost,
    fresh_period,
    kind_of,
    store_freshness,
    synthetic_events,
)
from pricing.streaming.events import SaleEvent, epoch
from pricing.streaming.realtime import empty_state, fold

DAY = 86_400.0
START = pd.Timestamp("2024-05-01", tz="UTC").timestamp()


def daily(when: pd.Timestamp) -> float:
    return float(pd.Timestamp(when).floor("D").timestamp())


@pytest.fixture
def seeds() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["P1", "P2"],
            "location_id": ["all", "all"],
            "price": [3.5, 2.0],
            "on_hand": [40.0, math.nan],
            "competitor": [3.4, math.nan],
            "substitute": [math.nan, 1.8],
        }
    )


def test_events_are_new_ordered_inside_one_period_and_sell_one_unit(seeds):
    events = synthetic_events(seeds, START, DAY, 500, "r1", seed=3)

    times = [epoch(e.event_time) for e in events]
    assert len(events) == 500 and len({e.event_id for e in events}) == 500
    assert times == sorted(times) and len(set(times)) == 500
    assert START < times[0] < times[-1] < START + DAY
    assert {e.units for e in events if isinstance(e, SaleEvent)} == {1.0}
    assert {kind_of(e) for e in events} == {"sale", "stock", "competitor", "substitute"}


def test_fresh_period_starts_after_everything_held():
    assert fresh_period(daily, pd.DateOffset(days=1), START) == (START, DAY)
    assert fresh_period(daily, pd.DateOffset(days=1), START + 5) == (START + DAY, DAY)


def test_nothing_lost_when_the_store_holds_the_fold_and_each_missing_event_counts(seeds):
    events = synthetic_events(seeds, START, DAY, 300, "r1")
    online = fold(events, {}, daily).states
    assert sum(count_lost(events, online, START).values()) == 0

    sale = max(i for i, e in enumerate(events) if kind_of(e) == "sale")
    behind = fold(events[:sale] + events[sale + 1 :], {}, daily).states
    assert count_lost(events, behind, START)["sale"] == 1

    stale = fold(events[:-10], {}, daily).states  # the last ten never arrived
    lost = count_lost(events, stale, START)
    assert sum(v for k, v in lost.items() if k != "extra_units") == 10


def test_freshness_is_the_first_read_that_shows_an_event(seeds):
    events = synthetic_events(seeds, START, DAY, 40, "r1")
    sent = [1_000.0 + i for i in range(len(events))]
    keys = {e.key for e in events}
    before = {key: empty_state() for key in keys}
    after = fold(events, {}, daily).states
    latencies, unseen = store_freshness(events, sent, [(1_100.0, before), (1_500.0, after)])
    assert unseen == 0
    assert sorted(latencies) == sorted(1_500.0 - s for s in sent)

    latencies, unseen = store_freshness(events, sent, [(1_100.0, before)])
    assert len(latencies) == 0 and unseen == len(events)
