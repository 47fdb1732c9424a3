"""Event contracts: valid messages parse, broken ones are refused with a reason that names
the field and the value (what the dead-letter topic records)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pricing.streaming.events import (
    CompetitorPriceEvent,
    InvalidEventError,
    InventoryEvent,
    SaleEvent,
    epoch,
    message_key,
    parse_event,
)

WHEN = "2024-03-04T10:30:00Z"
SALE = {
    "schema_version": 1,
    "event_id": "sale-1",
    "event_time": WHEN,
    "product_id": "P1",
    "location_id": "S1",
    "units": 2.0,
    "price": 3.49,
}
STOCK = {
    "schema_version": 1,
    "event_id": "stock-1",
    "event_time": WHEN,
    "product_id": "P1",
    "on_hand": 12,
}
RIVAL = {
    "schema_version": 1,
    "event_id": "rival-1",
    "event_time": WHEN,
    "product_id": "P1",
    "competitor_id": "C1",
    "price": 3.29,
}


def raw(message: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({**message, **changes}).encode()


def refused(kind: str, message: bytes | None) -> str:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(kind, message)
    return str(caught.value)


def test_a_sale_parses_with_defaults_and_an_aware_time() -> None:
    event = parse_event("sales", raw(SALE))
    assert isinstance(event, SaleEvent)
    assert (event.units, event.price, event.promo) == (2.0, 3.49, 0.0)
    assert event.event_time == datetime(2024, 3, 4, 10, 30, tzinfo=UTC)
    assert event.key == ("P1", "S1")
    assert epoch(event.event_time) == datetime(2024, 3, 4, 10, 30, tzinfo=UTC).timestamp()


def test_stock_and_competitor_events_parse_with_their_defaults() -> None:
    stock = parse_event("inventory", raw(STOCK, event_time="2024-03-04T12:30:00+02:00"))
    assert isinstance(stock, InventoryEvent)
    assert (stock.on_hand, stock.inbound, stock.location_id) == (12.0, 0.0, "all")
    assert stock.event_time == datetime(2024, 3, 4, 10, 30, tzinfo=UTC)  # the same instant
    rival = parse_event("competitor_prices", raw(RIVAL, competitor_type="substitute"))
    assert isinstance(rival, CompetitorPriceEvent)
    assert (rival.competitor_id, rival.competitor_type, rival.price) == ("C1", "substitute", 3.29)
    plain = parse_event("competitor_prices", raw(RIVAL))
    assert isinstance(plain, CompetitorPriceEvent)
    assert plain.competitor_type == "competitor"


def test_an_event_round_trips_through_its_json() -> None:
    event = parse_event("sales", raw(SALE, promo=0.5))
    assert parse_event("sales", event.model_dump_json().encode()) == event


def test_the_message_key_keeps_a_series_on_one_partition() -> None:
    assert message_key("P1", "S1") == b"P1|S1"


@pytest.mark.parametrize("message", [b"", None])
def test_an_empty_message_is_refused(message: bytes | None) -> None:
    assert refused("sales", message) == "empty message"


@pytest.mark.parametrize("message", [b"{not json", b'{"units": 1', b"\xff\xfe", b"sale-1"])
def test_bad_json_is_refused_as_json(message: bytes) -> None:
    assert refused("sales", message).startswith("invalid JSON")


@pytest.mark.parametrize(
    ("kind", "message", "field", "shown"),
    [
        ("sales", raw(SALE, units="many"), "units", "'many'"),
        ("sales", raw(SALE, price=[3.49]), "price", "[3.49]"),
        ("sales", raw(SALE, event_id=17), "event_id", "17"),
        ("sales", raw(SALE, price="3.49"), "price", "'3.49'"),  # a string is not a number
        ("sales", raw(SALE, units=True), "units", "True"),
        ("sales", raw(SALE, event_time=1700000000), "event_time", "1700000000"),
        ("sales", raw(SALE, event_time="yesterday"), "event_time", "'yesterday'"),
        ("inventory", raw(STOCK, on_hand={"n": 3}), "on_hand", "{'n': 3}"),
        ("competitor_prices", raw(RIVAL, competitor_type="rival"), "competitor_type", "'rival'"),
    ],
)
def test_wrong_types_are_refused_naming_field_and_value(
    kind: str, message: bytes, field: str, shown: str
) -> None:
    reason = refused(kind, message)
    assert f"field {field!r}" in reason
    assert f"(value {shown})" in reason


@pytest.mark.parametrize(
    ("kind", "message", "field", "shown"),
    [
        ("sales", raw(SALE, price=-1.5), "price", "-1.5"),
        ("sales", raw(SALE, price=0), "price", "0"),
        ("sales", raw(SALE, units=-2), "units", "-2"),
        ("sales", raw(SALE, promo=1.5), "promo", "1.5"),
        ("inventory", raw(STOCK, on_hand=-1), "on_hand", "-1"),
        ("inventory", raw(STOCK, inbound=-4), "inbound", "-4"),
        ("competitor_prices", raw(RIVAL, price=-0.01), "price", "-0.01"),
    ],
)
def test_out_of_range_numbers_are_refused_naming_field_and_value(
    kind: str, message: bytes, field: str, shown: str
) -> None:
    reason = refused(kind, message)
    assert f"field {field!r} (value {shown})" in reason


def test_non_finite_numbers_are_refused() -> None:
    message = raw(SALE).replace(b'"units": 2.0', b'"units": NaN')
    assert "field 'units' (value nan)" in refused("sales", message)
    message = raw(SALE).replace(b'"price": 3.49', b'"price": 1e999')
    assert "field 'price' (value inf)" in refused("sales", message)


def test_an_unknown_field_is_refused_naming_it() -> None:
    reason = refused("sales", raw(SALE, colour="red"))
    assert "field 'colour' (value 'red')" in reason
    assert "xtra" in reason  # pydantic's "Extra inputs are not permitted"


def test_a_field_of_another_kind_is_unknown_here() -> None:
    assert "field 'on_hand'" in refused("sales", raw(SALE, on_hand=3))


def test_a_naive_timestamp_is_refused() -> None:
    reason = refused("sales", raw(SALE, event_time="2024-03-04T10:30:00"))
    assert "field 'event_time' (value '2024-03-04T10:30:00')" in reason
    assert "timezone" in reason


@pytest.mark.parametrize("version", [0, 2, "1"])
def test_another_schema_version_is_refused(version: object) -> None:
    reason = refused("sales", raw(SALE, schema_version=version))
    assert f"field 'schema_version' (value {version!r})" in reason


def test_a_missing_field_is_named() -> None:
    message = {k: v for k, v in SALE.items() if k != "units"}
    assert refused("sales", raw(message)) == "field 'units': Field required"


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_ids_are_refused(blank: str) -> None:
    assert f"field 'product_id' (value {blank!r})" in refused("sales", raw(SALE, product_id=blank))


def test_a_message_that_is_not_an_object_is_refused() -> None:
    assert "field 'message' (value [])" in refused("sales", b"[]")


def test_every_problem_is_reported() -> None:
    reason = refused("sales", raw(SALE, units=-1, price=0))
    assert "field 'units' (value -1)" in reason
    assert "field 'price' (value 0)" in reason
