"""Sends are only known to have landed once their acknowledgements say so."""

from __future__ import annotations

import pytest
from kafka.errors import UnknownProducerIdError
from kafka.future import Future

from pricing.streaming.broker import BrokerError
from pricing.streaming.kafka import Acknowledgements, DeliveryError


def test_acknowledged_sends_pass_and_a_refused_one_is_named() -> None:
    acks = Acknowledgements()
    landed, refused = Future(), Future()
    acks.watch(landed)
    acks.watch(refused)
    landed.success("metadata")
    acks.check("events")  # nothing refused yet
    refused.failure(UnknownProducerIdError("gone"))
    with pytest.raises(DeliveryError, match=r"1 events not acknowledged.*UnknownProducerId"):
        acks.check("events")


def test_a_delivery_error_is_a_broker_error_the_command_line_reports() -> None:
    assert issubclass(DeliveryError, BrokerError)
