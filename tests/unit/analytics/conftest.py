"""Tiny canonical tables, built by hand, for the dashboard's figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from pricing.data.schemas import conform

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2024-01-01", tz="UTC")


def sales_rows(product: str, location: str, units: list[float], prices: list[float]) -> list[dict]:
    return [
        {
            "product_id": product,
            "location_id": location,
            "date": START + i * DAY,
            "event_timestamp": START + (i + 1) * DAY,
            "observed": True,
            "units_sold": u,
            "price": p,
            "revenue": u * p,
            "promo": 0.0,
            "stockout": False,
            "ingested_timestamp": START,
        }
        for i, (u, p) in enumerate(zip(units, prices, strict=True))
    ]


@pytest.fixture
def make_sales() -> Callable[..., pd.DataFrame]:
    def factory(*series: tuple[str, str, list[float], list[float]]) -> pd.DataFrame:
        rows = [row for s in series for row in sales_rows(*s)]
        return conform(pd.DataFrame(rows), "sales")

    return factory


@pytest.fixture
def products() -> pd.DataFrame:
    frame = pd.DataFrame(
        {"product_id": ["A", "B"], "category": ["juice", None], "unit_cost": [1.0, None]}
    )
    return conform(frame, "products")


def decision(product: str, location: str, recommended: float, current: float, **extra: Any) -> dict:
    """A decision-log row as ``read_decisions`` returns it (answer and features as JSON)."""
    response = {
        "product_id": product,
        "location_id": location,
        "recommended_price": recommended,
        "current_price": current,
        "explanation": f"{product} at {recommended}",
        "guardrails_applied": {
            "rules": ["min_price", "max_change"],
            "conflicts": [],
            "allowed_range": [1.0, 3.0],
        },
        "model_version": {"bento": "pricing:b1", "elasticity": "e:1", "agent": "a:1",
                          "snapshot": "snap_1", "forecast": "d:1"},
        "fallback": extra.get("policy") == "fallback",
        **extra,
    }  # fmt: skip
    return {
        "logged_at": pd.Timestamp("2024-02-01", tz="UTC"),
        "request_id": extra.get("request_id", "r1"),
        "product_id": product,
        "location_id": location,
        "policy": extra.get("policy", "ppo"),
        "recommended_price": recommended,
        "current_price": current,
        "features": json.dumps({"last_price": current}),
        "response": json.dumps(response),
    }
