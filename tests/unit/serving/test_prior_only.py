"""An item whose price never varied: served on the pooled prior, flagged, never certain, and
its what-if follows the prior far from its one price instead of staying flat."""

from __future__ import annotations

import pandas as pd
import pytest

from pricing.models.elasticity import PriceResponseModel
from pricing.policy.guardrails import GuardrailPolicy
from pricing.serving.catalog import Catalog
from pricing.serving.confidence import PRIOR_ONLY_CAP
from pricing.serving.engine import Engine, EngineConfig
from pricing.serving.http_requests import Item
from tests.unit.models.test_price_prior import frame_with_constant_prices
from tests.unit.serving.conftest import AS_OF, DictSource, feature_rows, random_agent

IDS = [f"P{i:04d}" for i in range(1, 5)]


@pytest.fixture(scope="module")
def served() -> tuple[Engine, DictSource]:
    frame = frame_with_constant_prices(4, 160, {"P0001"})
    model = PriceResponseModel.fit(frame, seed=0, members=3, quick=True)
    products = pd.DataFrame({"product_id": IDS, "category": "c", "unit_cost": 1.0})
    engine = Engine(
        model,
        random_agent(),
        Catalog(products, model.series),
        GuardrailPolicy(),
        {"bento": "", "elasticity": "e:1", "agent": "a:1", "snapshot": "s"},
        lambda: AS_OF,
        EngineConfig(max_age=pd.Timedelta(days=2)),
    )
    return engine, DictSource(feature_rows(frame, AS_OF, model))


def test_the_prior_only_item_is_flagged_and_capped(served):
    engine, source = served
    answers, _ = engine.recommend([Item(product_id=p) for p in IDS], source)
    by_id = {a["product_id"]: a for a in answers}
    prior = by_id["P0001"]
    assert prior["elasticity_source"] == "pooled_prior"
    assert prior["confidence"] <= PRIOR_ONLY_CAP < 1.0
    assert "pooled prior" in prior["explanation"]
    assert all(by_id[p]["elasticity_source"] == "fitted" for p in IDS[1:])


def test_what_if_follows_the_prior_and_flags_the_extrapolation(served):
    engine, source = served
    price = source.rows[("P0001", "all")]["last_price"]
    out = engine.simulate(Item(product_id="P0001"), [price, price * 1.2, price * 10], source)
    units = [p["expected_units"] for p in out["points"]]
    trust = [p["response_confidence"] for p in out["points"]]
    assert out["elasticity_source"] == "pooled_prior"
    assert units[0] > units[1] > 0  # not flat: the prior's elasticity applies
    assert units[2] is None and not out["points"][2]["trusted"]  # 10x its one price
    assert trust[0] == 1.0 and trust[1] < 0.5 and trust[2] < 0.01
