"""An in-memory serving world: a small fitted price response, a random agent, dict features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pricing.data.schemas import KEY
from pricing.market.params import ProductParams
from pricing.models.agent import N_ACTIONS, OBS_SIZE
from pricing.models.agent_export import NumpyPolicy
from pricing.models.elasticity import PriceResponseModel
from pricing.policy.guardrails import GuardrailPolicy
from pricing.serving.catalog import Catalog
from pricing.serving.engine import Engine, EngineConfig
from tests.unit.models.test_elasticity import snapshot_frame

AS_OF = pd.Timestamp("2024-06-30", tz="UTC")


@dataclass
class DictSource:
    """Feature rows by key, like Feast's answer (None values and 0 timestamps when absent)."""

    rows: dict[tuple[str, str], dict[str, Any]]
    reads: list[int] = field(default_factory=list)

    def read(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        self.reads.append(len(keys))
        return [dict(self.rows.get(tuple(k), {})) for k in keys]


@dataclass
class World:
    engine: Engine
    source: DictSource
    params: dict[str, ProductParams]
    model: PriceResponseModel


def feature_rows(
    frame: pd.DataFrame, stamp: pd.Timestamp, model: PriceResponseModel
) -> dict[tuple[str, str], dict]:
    """Each series' latest features plus a forecast and elasticity, all stamped at ``stamp``."""
    latest = frame.sort_values("event_timestamp").groupby(KEY).tail(1)
    elasticity = model.elasticities(frame).set_index(KEY)["elasticity"]
    seconds = stamp.timestamp()
    rows = {}
    for record in latest.to_dict("records"):
        row = {k: v for k, v in record.items() if k not in KEY}
        units = float(record["units_ma7"])
        row |= {
            "forecast_units": units,
            "forecast_q10": units * 0.7,
            "forecast_q90": units * 1.3,
            "forecast_ref_price": float(record["last_price"]),
            "forecast_model": "pricing-demand:test",
            "elasticity": float(elasticity.loc[(record["product_id"], record["location_id"])]),
        }
        row |= {f"{name}__ts": seconds for name in list(row)}
        rows[(str(record["product_id"]), str(record["location_id"]))] = row
    return rows


def random_agent(seed: int = 1) -> NumpyPolicy:
    rng = np.random.default_rng(seed)
    return NumpyPolicy(
        [(rng.normal(size=(16, OBS_SIZE)).astype(np.float32), np.zeros(16, np.float32))],
        (rng.normal(size=(N_ACTIONS, 16)).astype(np.float32), np.zeros(N_ACTIONS, np.float32)),
    )


@pytest.fixture(scope="session")
def fitted() -> tuple[pd.DataFrame, list[ProductParams], PriceResponseModel]:
    frame, params = snapshot_frame(6, 200, seed=3)
    return frame, params, PriceResponseModel.fit(frame, seed=0, members=3, quick=True)


@pytest.fixture
def world(fitted) -> World:
    frame, params, model = fitted
    products = pd.DataFrame(
        {
            "product_id": [p.product_id for p in params],
            "category": [p.category for p in params],
            "unit_cost": [p.unit_cost for p in params],
        }
    )
    source = DictSource(feature_rows(frame, AS_OF, model))
    engine = Engine(
        model,
        random_agent(),
        Catalog(products, model.series),
        GuardrailPolicy(),
        {"bento": "", "elasticity": "e:1", "agent": "a:1", "snapshot": "snap_x"},
        lambda: AS_OF,
        EngineConfig(max_age=pd.Timedelta(days=2)),
    )
    return World(engine, source, {p.product_id: p for p in params}, model)
