"""History or simulator output as a stream of events, published in event-time order.

Rows become the events a till, a warehouse and a price crawler would send: each observed
sales row is split into a few sales spread over its period (same price, units summing to the
row's), each stock row into one count just before the period ends, each competitor row into
one observation early in the period. Event ids derive from the row, so replaying the same
history twice publishes the same ids (the consumer counts each once).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pricing.data.grain import period_delta
from pricing.data.home import HomeData, NoDataError
from pricing.settings import Settings
from pricing.streaming.config import KafkaSettings
from pricing.streaming.events import (
    SCHEMA_VERSION,
    CompetitorPriceEvent,
    Event,
    InventoryEvent,
    SaleEvent,
    message_key,
)

#: Sales per observed period (units split evenly; a period with few units gets fewer).
SALES_PER_PERIOD = 3
KIND_OF = {
    SaleEvent: "sales",
    InventoryEvent: "inventory",
    CompetitorPriceEvent: "competitor_prices",
}


def _times(dates: pd.Series, grain: str, fraction: float) -> pd.Series:
    """A point ``fraction`` of the way into each period."""
    start = pd.to_datetime(dates, utc=True)
    return start + (start + period_delta(grain) - start) * fraction


def _stamp(day: pd.Timestamp) -> str:
    return f"{day:%Y%m%d}"


def sale_events(sales: pd.DataFrame, grain: str, splits: int = SALES_PER_PERIOD) -> list[Event]:
    rows = sales[sales["observed"] & sales["units_sold"].notna() & sales["price"].notna()]
    out: list[Event] = []
    for part in range(splits):
        times = _times(rows["date"], grain, (part + 1) / (splits + 1))
        for row, when in zip(rows.itertuples(index=False), times, strict=True):
            parts = int(min(splits, max(1, math.ceil(row.units_sold))))
            if part >= parts:
                continue
            share = row.units_sold / parts
            # the last part carries the remainder so the parts add up to the row exactly
            units = row.units_sold - share * (parts - 1) if part == parts - 1 else share
            out.append(
                SaleEvent(
                    schema_version=SCHEMA_VERSION,
                    event_id=f"sale:{row.product_id}:{row.location_id}:{_stamp(row.date)}:{part}",
                    event_time=when.to_pydatetime(),
                    product_id=row.product_id,
                    location_id=row.location_id,
                    units=float(units),
                    price=float(row.price),
                    promo=float(row.promo) if np.isfinite(row.promo) else 0.0,
                )
            )
    return out


def inventory_events(inventory: pd.DataFrame, grain: str) -> list[Event]:
    rows = inventory[inventory["on_hand"].notna()]
    times = pd.to_datetime(rows["event_timestamp"], utc=True) - pd.Timedelta(seconds=1)
    return [
        InventoryEvent(
            schema_version=SCHEMA_VERSION,
            event_id=f"stock:{row.product_id}:{row.location_id}:{_stamp(row.date)}",
            event_time=when.to_pydatetime(),
            product_id=row.product_id,
            location_id=row.location_id,
            on_hand=float(row.on_hand),
            inbound=float(row.inbound) if np.isfinite(row.inbound) else 0.0,
        )
        for row, when in zip(rows.itertuples(index=False), times, strict=True)
    ]


def competitor_events(competitors: pd.DataFrame, grain: str) -> list[Event]:
    """One observation per row, a minute apart in competitor-id order within the period."""
    rows = competitors[competitors["price"].notna()].sort_values(
        ["product_id", "location_id", "date", "competitor_id"]
    )
    rank = rows.groupby(["product_id", "location_id", "date"]).cumcount() + 1
    times = pd.to_datetime(rows["date"], utc=True) + pd.to_timedelta(rank, unit="min")
    return [
        CompetitorPriceEvent(
            schema_version=SCHEMA_VERSION,
            event_id=f"rival:{row.product_id}:{row.location_id}:{row.competitor_id}:{_stamp(row.date)}",
            event_time=when.to_pydatetime(),
            product_id=row.product_id,
            location_id=row.location_id,
            competitor_id=row.competitor_id,
            competitor_type=row.competitor_type
            if row.competitor_type in ("competitor", "substitute")
            else "competitor",
            price=float(row.price),
        )
        for row, when in zip(rows.itertuples(index=False), times, strict=True)
    ]


def events_from_tables(tables: dict[str, pd.DataFrame], grain: str) -> list[Event]:
    """Every event of the canonical tables, in event-time order (ties by id)."""
    events = [
        *sale_events(tables["sales"], grain),
        *inventory_events(tables["inventory"], grain),
        *competitor_events(tables["competitor_prices"], grain),
    ]
    return sorted(events, key=lambda e: (e.event_time, e.event_id))


def last_periods(tables: dict[str, pd.DataFrame], periods: int | None) -> dict[str, pd.DataFrame]:
    """The tables cut to their last ``periods`` periods (None: all of them)."""
    if periods is None:
        return tables
    dates = sorted(tables["sales"]["date"].drop_duplicates())
    if not dates:
        return tables
    first = dates[-min(periods, len(dates))]
    return {
        name: frame[frame["date"] >= first] if "date" in frame else frame
        for name, frame in tables.items()
    }


def history_tables(path: HomeData, periods: int | None) -> tuple[dict[str, pd.DataFrame], str]:
    """Canonical tables of a home's data folder (a home's ``data/``), cut to ``periods``."""
    grain = path.require_grain()
    return last_periods(path.read_all(), periods), grain


def synthetic_tables(
    settings: Settings, periods: int, seed: int
) -> tuple[dict[str, pd.DataFrame], str]:
    """The home's simulated market, continued for ``periods`` days after its data end."""
    from pricing.data.synthetic import load_truth
    from pricing.market.generate import simulate_market

    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    try:
        params = load_truth(settings)
    except FileNotFoundError as error:
        raise NoDataError(
            f"{error}; `--source synthetic` continues a generated market: replay this home's "
            "own history with `--source PATH` (e.g. its data folder) instead"
        ) from None
    if grain != "daily":
        raise NoDataError(f"the simulator continues daily markets; this home is {grain}")
    start = home.read("sales")["date"].max() + pd.Timedelta(days=1)
    market = simulate_market(params, periods, np.random.default_rng(seed), start=start)
    return market.batch.tables(), grain


def competitor_cut(events: list[Event], product_id: str, fraction: float) -> Event:
    """A rival retailer cutting ``product_id``'s price by ``fraction`` a minute after the last
    event (a substitute's price when the product has no rival retailer)."""
    if not 0 < fraction < 1:
        raise ValueError(f"a price cut must be a fraction between 0 and 1, got {fraction}")
    rivals = [
        e for e in events if isinstance(e, CompetitorPriceEvent) and e.product_id == product_id
    ]
    if not rivals:
        raise NoDataError(f"no competitor price of {product_id} in the replayed events to cut")
    retailers = [e for e in rivals if e.competitor_type == "competitor"]
    last = (retailers or rivals)[-1]
    price = round(last.price * (1 - fraction), 2)
    if not 0 < price < last.price:
        raise ValueError(
            f"cutting {product_id}'s rival price {last.price} by {fraction} gives {price}: "
            "not a cut after rounding to cents"
        )
    when = max(e.event_time for e in events) + pd.Timedelta(minutes=1).to_pytimedelta()
    return last.model_copy(
        update={
            "event_id": f"cut:{product_id}:{when:%Y%m%dT%H%M}",
            "event_time": when,
            "price": price,
        }
    )


@dataclass(frozen=True)
class Published:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else math.inf


def publish(
    kafka: KafkaSettings,
    servers: str,
    events: Iterable[Event],
    rate: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> Published:
    """Send ``events`` in order to their topics (at most ``rate`` per second; 0 = no limit)
    and wait until the broker has them all (DeliveryError names those it refused)."""
    from pricing.streaming.kafka import Acknowledgements, producer

    topics = kafka.topics.events()
    sender = producer(kafka, servers)
    acks = Acknowledgements()
    started, sent = time.perf_counter(), 0
    try:
        for event in events:
            key = message_key(event.product_id, event.location_id)
            value = event.model_dump_json().encode()
            acks.watch(sender.send(topics[KIND_OF[type(event)]], value, key=key))
            sent += 1
            if rate > 0:
                ahead = sent / rate - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)
            if progress is not None and sent % 500 == 0:
                progress(500)
        sender.flush()
    finally:
        sender.close()
    acks.check("events")
    if progress is not None:
        progress(sent % 500)
    return Published(sent, time.perf_counter() - started)
