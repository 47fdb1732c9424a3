"""Kafka connection, topics and consumer tuning: the ``kafka`` sub-model of Settings.

The same options reach every client (producer, consumer, admin), so the code runs unchanged
against Apache Kafka with SASL/SSL and against the embedded Tansu broker. With no bootstrap
servers configured, commands use the embedded broker that ``pricing stream broker`` (or the
demo, or a test fixture) started for the home.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class Topics(BaseModel):
    """Topic names; one per event kind, plus the dead-letter topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sales: str = "pricing.sales"
    inventory: str = "pricing.inventory"
    competitor_prices: str = "pricing.competitor_prices"
    dead_letter: str = "pricing.dead_letter"

    def events(self) -> dict[str, str]:
        """Event kind -> topic, for the topics the consumer reads."""
        return {
            "sales": self.sales,
            "inventory": self.inventory,
            "competitor_prices": self.competitor_prices,
        }


class KafkaSettings(BaseModel):
    """``PRICING_KAFKA`` (a JSON object) or ``PRICING_KAFKA__<FIELD>`` variables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bootstrap_servers: str = Field(
        "",
        description="host:port[,host:port...] of the cluster; empty = the embedded broker "
        "started by `pricing stream broker` for this home.",
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    topics: Topics = Field(default_factory=Topics)
    partitions: int = Field(3, ge=1, description="Partitions of topics we create.")
    replication_factor: int = Field(1, ge=1, description="Replication of topics we create.")
    group_id: str = Field("pricing-realtime", description="Consumer group of `stream run`.")
    batch_max_events: int = Field(
        5000, ge=1, description="Most events one micro-batch (one Feast push) carries."
    )
    batch_wait_ms: int = Field(
        100, ge=1, description="Longest a micro-batch waits for more events before it is pushed."
    )
    session_timeout_ms: int = Field(
        6000, ge=1000, description="Group session timeout; group joins take about half of it."
    )
    heartbeat_interval_ms: int = Field(1000, ge=100)

    @field_validator("bootstrap_servers")
    @classmethod
    def _check_servers(cls, value: str) -> str:
        for server in filter(None, (s.strip() for s in value.split(","))):
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(
                    f"bootstrap server {server!r} must look like host:port "
                    "(several separated by commas)"
                )
        return value

    def client_options(self, bootstrap_servers: str) -> dict[str, Any]:
        """Connection options every kafka-python client takes."""
        options: dict[str, Any] = {
            "bootstrap_servers": [s.strip() for s in bootstrap_servers.split(",") if s.strip()],
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            if self.sasl_password is not None:
                options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(self, name)
            if value is not None:
                options[name] = str(value)
        return options

    def exported(self) -> dict[str, Any]:
        """These settings as JSON for a child process (the password included, unmasked)."""
        data = self.model_dump(mode="json", exclude_none=True)
        if self.sasl_password is not None:
            data["sasl_password"] = self.sasl_password.get_secret_value()
        return data
