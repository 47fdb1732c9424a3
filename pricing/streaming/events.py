"""Event contracts of the real-time topics: one JSON message per sale, stock count or
competitor price, validated by pydantic with the same rules as batch rows (prices > 0,
units and stock >= 0, no unknown field, finite numbers of JSON number type, a timezone on
every time).

A message is the event's JSON; its Kafka key is ``product_id|location_id`` so one series'
events stay in order on one partition.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from pricing.data.schemas import DEFAULT_LOCATION

SCHEMA_VERSION: Literal[1] = 1

Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class Event(BaseModel):
    """What every event carries: schema version, unique id, when it happened, which series."""

    #: strict: a JSON string or boolean is not a number, an epoch integer is not a time
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    schema_version: Literal[1] = Field(description="Version of this contract (1).")
    event_id: Text = Field(description="Unique id; a redelivered event changes nothing.")
    event_time: AwareDatetime = Field(description="When it happened (ISO 8601 with a zone).")
    product_id: Text
    location_id: Text = DEFAULT_LOCATION

    @property
    def key(self) -> tuple[str, str]:
        return (self.product_id, self.location_id)


class SaleEvent(Event):
    """Units sold at a shelf price (a till transaction or a small aggregate of them)."""

    units: float = Field(ge=0, description="Units sold (>= 0).")
    price: float = Field(gt=0, description="Shelf price paid per unit (> 0).")
    promo: float = Field(0.0, ge=0, le=1, description="Promotion intensity 0..1.")


class InventoryEvent(Event):
    """A stock count: units on hand after the movement."""

    on_hand: float = Field(ge=0, description="Units on hand (>= 0).")
    inbound: float = Field(0.0, ge=0, description="Units received with this movement (>= 0).")


class CompetitorPriceEvent(Event):
    """A rival's (or a substitute's) observed shelf price."""

    competitor_id: Text
    competitor_type: Literal["competitor", "substitute"] = "competitor"
    price: float = Field(gt=0, description="Observed price (> 0).")


#: Event kind (= the Topics field naming its topic) -> contract.
CONTRACTS: dict[str, type[Event]] = {
    "sales": SaleEvent,
    "inventory": InventoryEvent,
    "competitor_prices": CompetitorPriceEvent,
}


class InvalidEventError(ValueError):
    """A message that breaks its topic's contract; the reason names field and value."""


def _reason(error: ValidationError) -> str:
    problems = []
    for issue in error.errors(include_url=False):
        where = ".".join(str(part) for part in issue["loc"]) or "message"
        if issue["type"] == "json_invalid":
            problems.append(f"invalid JSON: {issue['msg']}")
            continue
        shown = "" if issue["type"] == "missing" else f" (value {issue.get('input')!r})"
        problems.append(f"field {where!r}{shown}: {issue['msg']}")
    return "; ".join(problems)


def parse_event(kind: str, raw: bytes | None) -> Event:
    """The event in ``raw``, checked against the contract of ``kind``."""
    if not raw:
        raise InvalidEventError("empty message")
    try:
        return CONTRACTS[kind].model_validate_json(raw)
    except ValidationError as error:
        raise InvalidEventError(_reason(error)) from None


def message_key(product_id: str, location_id: str) -> bytes:
    """Kafka key that keeps one series' events on one partition, in order."""
    return f"{product_id}|{location_id}".encode()


def epoch(when: datetime) -> float:
    """Event time as epoch seconds (how the realtime view stores times)."""
    return when.timestamp()
