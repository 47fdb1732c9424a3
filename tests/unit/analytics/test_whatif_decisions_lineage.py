"""What-if tables, the flat decision log, and the lineage tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pricing.analytics.decisions import COLUMNS, features_used, flatten_decisions
from pricing.analytics.lineage import models_table, promotion_table
from pricing.analytics.whatif import ServiceSimulator, at_price, price_grid, simulator, whatif_table
from pricing.registry import SavedModel
from pricing.settings import Settings
from tests.unit.analytics.conftest import decision


def test_price_grid_spans_the_current_price_and_holds_the_chosen_one():
    grid = price_grid(2.0, 2.345, span=0.5, points=5)
    assert grid == [1.0, 1.5, 2.0, 2.35, 2.5, 3.0]


def test_whatif_table_and_the_row_at_a_price():
    answer = {
        "points": [
            {"price": 2.0, "expected_units": 10, "expected_revenue": 20, "expected_profit": None,
             "allowed": True, "reason": None},
            {"price": 1.0, "expected_units": 30, "expected_revenue": 30, "expected_profit": 0,
             "allowed": False, "reason": "below the floor"},
        ]
    }  # fmt: skip
    table = whatif_table(answer)
    assert table["price"].tolist() == [1.0, 2.0]
    assert at_price(table, 1.9)["expected_revenue"] == 20
    assert pd.isna(at_price(table, 2.0)["expected_profit"])
    assert not at_price(table, 1.1)["allowed"]


def test_the_service_answers_when_its_url_is_set(tmp_path):
    chosen = simulator(Settings(home=tmp_path, service_url="http://127.0.0.1:1"))
    assert isinstance(chosen, ServiceSimulator) and "127.0.0.1:1" in chosen.source


def test_flatten_decisions_newest_first_with_reasons_and_versions():
    log = pd.DataFrame(
        [
            decision("A", "s1", 2.5, 2.0, request_id="r1"),
            decision("B", "s1", 1.0, 1.0, policy="fallback", request_id="r2"),
        ]
    )
    flat = flatten_decisions(log)
    assert list(flat.columns) == COLUMNS
    assert flat["product_id"].tolist() == ["B", "A"]
    first = flat.iloc[1]
    assert first["explanation"] == "A at 2.5" and first["rules"] == "min_price, max_change"
    assert first["allowed_range"] == "1.00 - 3.00" and first["snapshot"] == "snap_1"
    assert first["agent_model"] == "a:1" and not first["fallback"]
    assert bool(flat.iloc[0]["fallback"])
    assert features_used(log, "r1", "A", "s1") == {"last_price": 2.0}
    assert features_used(log, "r1", "B", "s1") == {}
    assert flatten_decisions(pd.DataFrame()).empty


def model(kind: str, tag: str) -> SavedModel:
    return SavedModel(kind, tag, "0" * 64, Path("/m"), {"snapshot": "snap_1", "data_hash": "h"})


def test_models_table_marks_prod_and_challenger():
    models = [model("demand", "d:1"), model("demand", "d:2"), model("agent", "a:1")]
    table = models_table(
        models, {"demand": "d:1", "agent": "a:1"}, {"demand": "d:2", "agent": "a:1"}
    )
    assert table["tag"].tolist() == ["a:1", "d:2", "d:1"]  # newest first
    assert table["role"].tolist() == ["prod, challenger", "challenger", "prod"]
    assert models_table([], None, {}).empty


def test_promotion_table_reads_promotions_and_rollbacks():
    decisions = [
        {"at": "2024-01-01T00:00:00+00:00", "promoted": True, "forced": False,
         "prod_before": None, "prod_after": {"demand": "d:1"}, "reasons": ["no prod yet"],
         "scores": {"challenger": {"policy_pct_of_oracle": 97.5, "forecast_wape": 0.3}}},
        {"at": "2024-01-02T00:00:00+00:00", "rollback": True,
         "prod_before": {"demand": "d:2"}, "prod_after": {"demand": "d:1"}},
    ]  # fmt: skip
    table = promotion_table(decisions)
    assert table["action"].tolist() == ["rollback", "promote"]
    promoted = table.iloc[1]
    assert promoted["challenger_policy_pct"] == pytest.approx(97.5)
    assert promoted["prod_policy_pct"] is None and promoted["reasons"] == "no prod yet"
    assert table.iloc[0]["prod_after"] == "d:1"
    assert promotion_table([]).empty
