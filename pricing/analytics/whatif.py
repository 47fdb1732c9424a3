"""Revenue what-if: move a price, see expected units, revenue and profit.

The figures come from the pricing service's ``/simulate`` (``expected_units``, the one demand
function): from a running service when ``PRICING_SERVICE_URL`` is set, else from the same
runtime loaded in process. Either way the answer has the service's shape.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import numpy as np
import pandas as pd
from pydantic import SecretStr

from pricing.serving.access import auth_headers
from pricing.settings import Settings

#: Prices on each side of the current one the curve spans, as a share of it.
SPAN = 0.3
POINTS = 31


class Simulator(Protocol):
    """Answers a what-if as the service's ``/simulate`` does."""

    source: str

    def simulate(self, item: dict[str, Any], prices: list[float]) -> dict[str, Any]: ...


class ServiceSimulator:
    """A running pricing service, over HTTP."""

    def __init__(self, url: str, key: SecretStr | None = None, timeout: float = 10.0) -> None:
        self.source = f"the pricing service at {url}"
        headers = auth_headers(key)  # the service's key (PRICING_API_KEY), when it has one
        self._client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, headers=headers)

    def simulate(self, item: dict[str, Any], prices: list[float]) -> dict[str, Any]:
        answer = self._client.post("/simulate", json={"item": item, "prices": prices})
        if answer.status_code >= 400:
            body = (
                answer.json()
                if answer.headers.get("content-type", "").startswith("application/json")
                else {}
            )
            raise LookupError(body.get("error") or f"{answer.status_code}: {answer.text[:200]}")
        return dict(answer.json())


class InProcessSimulator:
    """The service's runtime (prod models, online features) loaded in this process; decisions
    are not logged, a what-if is not a served price."""

    def __init__(self, settings: Settings) -> None:
        from pricing.serving.runtime import Runtime, registry_models

        quiet = settings.model_copy(update={"decision_log": False})
        self._runtime = Runtime(quiet, registry_models(quiet))
        self.source = "the prod models, in process"

    def simulate(self, item: dict[str, Any], prices: list[float]) -> dict[str, Any]:
        from pricing.serving.http_requests import Item

        return self._runtime.simulate(Item(**item), prices)


def simulator(settings: Settings) -> Simulator:
    """The service at ``settings.service_url`` when set, else the models in process."""
    if settings.service_url:
        return ServiceSimulator(settings.service_url, settings.api_key)
    return InProcessSimulator(settings)


def price_grid(
    current: float, chosen: float, span: float = SPAN, points: int = POINTS
) -> list[float]:
    """Prices around ``current`` (+-``span``) and the ``chosen`` one, sorted, rounded to cents."""
    grid = np.linspace(current * (1 - span), current * (1 + span), points)
    return sorted({round(float(p), 2) for p in [*grid, chosen] if p > 0})


def whatif_table(answer: dict[str, Any]) -> pd.DataFrame:
    """The answer's points as a frame: price, expected units, revenue, profit, allowed, why."""
    columns = [
        "price",
        "expected_units",
        "expected_revenue",
        "expected_profit",
        "allowed",
        "reason",
    ]
    frame = pd.DataFrame(answer.get("points", []), columns=columns)
    numeric = ["price", "expected_units", "expected_revenue", "expected_profit"]
    frame[numeric] = frame[numeric].astype(float)
    return frame.sort_values("price").reset_index(drop=True)


def at_price(table: pd.DataFrame, price: float) -> pd.Series:
    """The row of :func:`whatif_table` at ``price`` (the nearest one)."""
    return table.iloc[int((table["price"] - price).abs().to_numpy().argmin())]
