"""Replay: canonical rows become the events a till, a warehouse and a price crawler send."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from pricing.data.home import NoDataError
from pricing.data.schemas import conform
from pricing.streaming.events import CompetitorPriceEvent, InventoryEvent, SaleEvent
from pricing.streaming.replay import (
    SALES_PER_PERIOD,
    competitor_cut,
    events_from_tables,
    last_periods,
)

DAYS = pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07"], utc=True)


def tables(grain: str = "daily") -> dict[str, pd.DataFrame]:
    """Two series over four periods: fractional, tiny, zero and unobserved sales, two rivals
    and a substitute (one price missing)."""
    step = pd.Timedelta(days=7 if grain == "weekly" else 1)
    days = DAYS[0] + step * np.arange(4)
    sales = pd.DataFrame(
        {
            "product_id": ["P1"] * 4 + ["P2"] * 4,
            "location_id": ["S1"] * 4 + ["S2"] * 4,
            "date": [*days, *days],
            "observed": [True, True, True, False, True, True, True, True],
            "units_sold": [7.3, 10 / 3, 0.0, 5.0, 0.1, 1.0, 2.0, np.nan],
            "price": [2.49, 2.49, 2.29, 2.29, 9.99, 9.99, 8.99, 8.99],
            "promo": [0.0, 0.0, 1.0, 0.0, np.nan, 0.0, 0.0, 0.0],
            "stockout": False,
        }
    )
    sales["event_timestamp"] = sales["date"] + step
    inventory = sales[["product_id", "location_id", "date", "event_timestamp"]].assign(
        on_hand=[40.0, 33.0, 33.0, np.nan, 8.0, 7.0, 5.0, 5.0], inbound=0.0
    )
    rivals = pd.DataFrame(
        {
            "product_id": "P1",
            "location_id": "S1",
            "competitor_id": ["C2", "C1", "S9", "C1"],
            "competitor_type": ["competitor", "competitor", "substitute", "competitor"],
            "date": [days[0], days[0], days[0], days[1]],
            "price": [2.39, 2.45, 1.99, np.nan],
        }
    )
    rivals["event_timestamp"] = rivals["date"] + step
    return {
        "sales": conform(sales, "sales"),
        "inventory": conform(inventory, "inventory"),
        "competitor_prices": conform(rivals, "competitor_prices"),
    }


def test_events_come_in_event_time_order() -> None:
    events = events_from_tables(tables(), "daily")
    order = [(e.event_time, e.event_id) for e in events]
    assert order == sorted(order)
    kinds = {type(e) for e in events}
    assert kinds == {SaleEvent, InventoryEvent, CompetitorPriceEvent}


@pytest.mark.parametrize("grain", ["daily", "weekly"])
def test_split_sales_add_up_to_their_row_inside_its_period(grain: str) -> None:
    frame = tables(grain)["sales"]
    events = [e for e in events_from_tables(tables(grain), grain) if isinstance(e, SaleEvent)]
    parts: dict[tuple[str, str, pd.Timestamp], list[SaleEvent]] = defaultdict(list)
    length = pd.Timedelta(days=7 if grain == "weekly" else 1)
    for event in events:
        when = pd.Timestamp(event.event_time)
        start = when.floor("D") if grain == "daily" else frame["date"][frame["date"] <= when].max()
        assert start < when < start + length
        parts[(event.product_id, event.location_id, start)].append(event)
    counted = frame[frame["observed"] & frame["units_sold"].notna()]
    assert len(parts) == len(counted)
    for row in counted.itertuples(index=False):
        sales = parts[(row.product_id, row.location_id, row.date)]
        assert 1 <= len(sales) <= SALES_PER_PERIOD
        assert sum(s.units for s in sales) == pytest.approx(row.units_sold, abs=1e-9)
        assert {s.price for s in sales} == {row.price}
        assert all(s.units >= 0 for s in sales)
        assert len({s.event_time for s in sales}) == len(sales)  # spread over the period


def test_a_row_with_few_units_is_split_into_fewer_sales() -> None:
    events = [e for e in events_from_tables(tables(), "daily") if isinstance(e, SaleEvent)]
    per_row: dict[tuple[str, str], int] = defaultdict(int)
    for e in events:
        per_row[(e.product_id, f"{e.event_time:%d}")] += 1
    assert per_row[("P1", "04")] == 3  # 7.3 units
    assert per_row[("P2", "04")] == 1  # 0.1 units
    assert per_row[("P2", "05")] == 1  # 1 unit
    assert per_row[("P2", "06")] == 2  # 2 units
    assert per_row[("P1", "06")] == 1  # 0 units: one sale of none, so the period has a price


def test_unobserved_rows_and_missing_units_produce_no_sale() -> None:
    sales = [e for e in events_from_tables(tables(), "daily") if isinstance(e, SaleEvent)]
    days = {(e.product_id, f"{e.event_time:%d}") for e in sales}
    assert ("P1", "07") not in days  # not observed
    assert ("P2", "07") not in days  # observed, but no units
    assert len(days) == 6


def test_missing_promo_is_no_promo() -> None:
    sales = [e for e in events_from_tables(tables(), "daily") if isinstance(e, SaleEvent)]
    assert {e.promo for e in sales if e.product_id == "P2"} == {0.0}
    assert {e.promo for e in sales if f"{e.event_time:%d}" == "06" and e.product_id == "P1"} == {
        1.0
    }


def test_ids_are_the_same_on_every_replay_and_unique() -> None:
    first = events_from_tables(tables(), "daily")
    again = events_from_tables(tables(), "daily")
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert first == again
    assert len({e.event_id for e in first}) == len(first)


def test_stock_counts_land_just_before_their_period_ends() -> None:
    stock = [e for e in events_from_tables(tables(), "daily") if isinstance(e, InventoryEvent)]
    assert len(stock) == 7  # one count missing
    for event in stock:
        when = pd.Timestamp(event.event_time)
        assert when.floor("D") + pd.Timedelta(days=1) - when == pd.Timedelta(seconds=1)


def test_rival_prices_are_observed_a_minute_apart_in_competitor_order() -> None:
    rivals = [
        e for e in events_from_tables(tables(), "daily") if isinstance(e, CompetitorPriceEvent)
    ]
    assert [(e.competitor_id, e.competitor_type, e.price) for e in rivals] == [
        ("C1", "competitor", 2.45),
        ("C2", "competitor", 2.39),
        ("S9", "substitute", 1.99),
    ]
    assert [pd.Timestamp(e.event_time) - DAYS[0] for e in rivals] == [
        pd.Timedelta(minutes=m) for m in (1, 2, 3)
    ]


def test_a_competitor_cut_is_cheaper_and_after_every_event() -> None:
    events = events_from_tables(tables(), "daily")
    cut = competitor_cut(events, "P1", 0.2)
    assert isinstance(cut, CompetitorPriceEvent)
    assert cut.competitor_type == "competitor"  # a rival retailer's, not the substitute's
    last = [
        e
        for e in events
        if isinstance(e, CompetitorPriceEvent) and e.competitor_type == "competitor"
    ][-1]
    assert cut.price == round(last.price * 0.8, 2)
    assert cut.price < last.price
    assert cut.event_time > max(e.event_time for e in events)
    assert (cut.product_id, cut.location_id, cut.competitor_id) == ("P1", "S1", last.competitor_id)
    assert cut.event_id not in {e.event_id for e in events}
    assert competitor_cut(events, "P1", 0.2) == cut  # deterministic


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_a_cut_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        competitor_cut(events_from_tables(tables(), "daily"), "P1", fraction)


def test_a_cut_that_rounds_to_no_cut_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cut"):
        competitor_cut(events_from_tables(tables(), "daily"), "P1", 0.001)


def test_a_cut_needs_a_rival_price_of_the_product() -> None:
    with pytest.raises(NoDataError, match="P2"):
        competitor_cut(events_from_tables(tables(), "daily"), "P2", 0.1)


def test_last_periods_keeps_the_latest_periods() -> None:
    cut = last_periods(tables(), 2)
    assert sorted(cut["sales"]["date"].unique()) == list(DAYS[2:])
    assert cut["competitor_prices"].empty
    assert last_periods(tables(), None)["sales"].shape == tables()["sales"].shape
