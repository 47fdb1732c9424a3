"""Guardrail configuration: defaults, overrides by category and product, loading, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from pricing.policy.guardrails import (
    GuardrailConfig,
    GuardrailPolicy,
    ProductLimits,
    load_guardrails,
)
from pricing.policy.ladder import build_ladder


def test_defaults_document_every_field() -> None:
    config = GuardrailConfig()
    assert config.min_margin == 0.05
    assert config.observed_range == 0.10
    assert config.max_change == 0.15
    assert config.competitor_band == (0.80, 1.25)
    assert config.price_endings is None
    assert (config.ladder_step, config.max_points) == (0.01, 41)
    assert all(field.description for field in GuardrailConfig.model_fields.values())
    assert all(field.description for field in GuardrailPolicy.model_fields.values())


@pytest.mark.parametrize(
    "bad",
    [
        {"max_chnage": 0.1},
        {"competitor_band": (1.2, 0.9)},
        {"price_endings": [1.5]},
        {"min_price": 5.0, "max_price": 4.0},
        {"max_change": -0.1},
    ],
)
def test_config_rejects_bad_values(bad: dict) -> None:
    with pytest.raises(ValidationError):
        GuardrailConfig(**bad)


def test_endings_are_normalised_to_sorted_cents() -> None:
    assert GuardrailConfig(price_endings=[0.99, 0.49, 0.490001]).price_endings == (0.49, 0.99)


def test_product_beats_category_beats_default() -> None:
    policy = GuardrailPolicy(
        default=GuardrailConfig(max_change=0.2),
        categories={"snacks": {"max_change": 0.1, "price_endings": [0.99]}},
        products={"P1": {"max_change": 0.05}},
    )
    assert policy.for_product("P9", "dairy").max_change == 0.2
    snack = policy.for_product("P9", "snacks")
    assert (snack.max_change, snack.price_endings) == (0.1, (0.99,))
    own = policy.for_product("P1", "snacks")
    assert (own.max_change, own.price_endings) == (0.05, (0.99,))
    assert policy.for_product("P1").price_endings is None


def test_bad_override_fails_when_the_policy_is_built() -> None:
    with pytest.raises(ValidationError, match=r"categories\.snacks: max_change"):
        GuardrailPolicy(categories={"snacks": {"max_change": 0}})
    with pytest.raises(ValidationError, match=r"products\.P1: bogus"):
        GuardrailPolicy(products={"P1": {"bogus": 1}})


def test_load_none_gives_defaults() -> None:
    assert load_guardrails(None) == GuardrailPolicy()


def test_load_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "guardrails.yaml"
    yaml_file.write_text(
        "default:\n  min_margin: 0.1\n  price_endings: [0.99]\n"
        "categories:\n  dairy: {max_change: 0.05}\n"
    )
    policy = load_guardrails(yaml_file)
    assert policy.default.min_margin == 0.1
    assert policy.for_product("P1", "dairy").max_change == 0.05
    json_file = tmp_path / "guardrails.json"
    json_file.write_text(json.dumps({"products": {"P7": {"competitor_band": None}}}))
    assert load_guardrails(json_file).for_product("P7").competitor_band is None
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    assert load_guardrails(empty) == GuardrailPolicy()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default:\n  max_change: fast\n", r"default\.max_change"),
        ("defaults: {}\n", r"defaults"),
        ("products:\n  P1: {ladder_stp: 0.02}\n", r"products\.P1: ladder_stp"),
        ("- 1\n- 2\n", r"expected a mapping"),
        ("default: [unclosed\n", r"cannot parse"),
    ],
)
def test_load_errors_name_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        load_guardrails(path)
    assert str(path) in str(info.value)


def test_load_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml"):
        load_guardrails(tmp_path / "nope.yaml")


@pytest.mark.parametrize("cost", [None, float("nan")])
def test_unknown_cost_skips_the_margin_floor_and_says_so(cost: float | None) -> None:
    limits = ProductLimits(unit_cost=cost, observed_min=2.0, observed_max=3.0)
    ladder = build_ladder(limits, GuardrailConfig(), current_price=2.5, competitor_price=2.5)
    assert "cost_floor" in ladder.not_applicable
    assert "cost_floor" not in ladder.applied
    assert ladder.hard_bounds == (1.8, 3.3)


def test_limits_need_an_observed_range() -> None:
    with pytest.raises(ValueError):
        ProductLimits(unit_cost=1.0, observed_min=3.0, observed_max=2.0)
