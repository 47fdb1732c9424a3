"""The explanation names the drivers that moved the price, strongest first, then those that
held it back, then the binding rule; a driver without effect is never claimed as a reason."""

from __future__ import annotations

import math

import pytest

from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import build_ladder
from pricing.serving.attribution import COMPETITOR, ELASTICITY, PROMOTION, STOCK, attribute
from pricing.serving.explain import explain, not_allowed_reason

NAN = math.nan


def sentence(
    recommended: float = 2.10,
    current: float = 2.00,
    counterfactuals: dict[str, float] | None = None,
    **evidence: object,
) -> str:
    """An explanation with plain inputs (a 5% raise pushed by the elasticity, everything else
    known and neutral), ``evidence`` applied; drivers from :func:`attribute`, as the engine."""
    inputs: dict = {
        "competitor": 2.00,
        "elasticity": -0.8,
        "cover": 30.0,
        "periods": 28,
        "binding": (),
        "conflicts": (),
    }
    found = {ELASTICITY: 2.00} if counterfactuals is None else counterfactuals
    drivers = attribute(recommended, current, found)
    return explain(recommended, current, drivers, **(inputs | evidence))


def test_a_raise_driven_by_scarce_stock_names_the_competitor_below_as_holding_it_back() -> None:
    text = sentence(
        4.93, 4.49, {STOCK: 4.49, COMPETITOR: 5.10}, competitor=4.22, cover=2.0, periods=28
    )
    assert text == (
        "Raise 9.8% to 4.93: stock covers only 2 of the next 28 periods, "
        "although the competitor is 6% below us at 4.22."
    )


def test_a_cut_driven_by_elastic_demand() -> None:
    text = sentence(1.80, 2.00, {ELASTICITY: 2.00, STOCK: 1.80}, elasticity=-3.31, cover=40.0)
    assert text == "Cut 10.0% to 1.80: demand is highly elastic (elasticity -3.31)."


def test_drivers_are_named_strongest_first_on_both_sides() -> None:
    text = sentence(
        2.20,
        2.00,
        {PROMOTION: 2.15, STOCK: 2.00, ELASTICITY: 2.40, COMPETITOR: 2.25},
        competitor=2.40,
        cover=5.0,
    )
    assert text == (
        "Raise 10.0% to 2.20: stock covers only 5 of the next 28 periods and a promotion is "
        "running, although demand is inelastic (elasticity -0.80) and the competitor is 20% "
        "above us at 2.40."
    )


def test_a_keep_names_what_holds_it_either_way_and_nothing_that_does_not() -> None:
    text = sentence(
        2.00,
        2.00,
        {STOCK: 1.80, ELASTICITY: 2.10, COMPETITOR: 2.00},
        cover=5.0,
        elasticity=-2.7,
        competitor=2.2,
    )
    assert text == (
        "Keep 2.00: stock covers only 5 of the next 28 periods "
        "and demand is highly elastic (elasticity -2.70)."
    )


def test_drivers_without_effect_are_not_claimed_as_reasons() -> None:
    text = sentence(counterfactuals={STOCK: 2.10, ELASTICITY: 2.10, COMPETITOR: 2.10})
    assert text == "Raise 5.0% to 2.10."
    assert sentence(counterfactuals={}) == "Raise 5.0% to 2.10."
    assert sentence(2.00, 2.00, {STOCK: 2.00}) == "Keep 2.00."


def test_a_move_with_only_opposing_drivers_says_so() -> None:
    text = sentence(counterfactuals={COMPETITOR: 2.20}, competitor=1.90)
    assert text == "Raise 5.0% to 2.10, although the competitor is 5% below us at 1.90."


@pytest.mark.parametrize(
    ("recommended", "current", "head"),
    [
        (2.10, 2.00, "Raise 5.0% to 2.10"),
        (1.80, 2.00, "Cut 10.0% to 1.80"),
        (2.00, 2.00, "Keep 2.00"),
        (2.0009, 2.00, "Keep 2.00"),  # under 0.05%: no move
        (2.50, 0.0, "Keep 2.50"),  # no price in effect to move from
        (2.50, NAN, "Keep 2.50"),
    ],
)
def test_the_head_names_the_move(recommended: float, current: float, head: str) -> None:
    assert sentence(recommended, current, {}) == head + "."


@pytest.mark.parametrize(
    ("elasticity", "words"),
    [
        (-0.99, "demand is inelastic (elasticity -0.99)"),
        (-1.0, "demand is elastic (elasticity -1.00)"),
        (-2.49, "demand is elastic (elasticity -2.49)"),
        (-2.5, "demand is highly elastic (elasticity -2.50)"),
        (NAN, "the price response"),  # a driver without its value is still named
    ],
)
def test_elasticity_words_follow_its_size(elasticity: float, words: str) -> None:
    assert sentence(elasticity=elasticity) == f"Raise 5.0% to 2.10: {words}."


@pytest.mark.parametrize(
    ("competitor", "words"),
    [
        (2.00, "the competitor matches us at 2.00"),
        (2.009, "the competitor matches us at 2.01"),  # within 0.5%
        (2.24, "the competitor is 12% above us at 2.24"),
        (1.50, "the competitor is 25% below us at 1.50"),
        (NAN, "the competitor's price"),
    ],
)
def test_competitor_words_say_where_it_stands(competitor: float, words: str) -> None:
    text = sentence(counterfactuals={COMPETITOR: 2.00}, competitor=competitor)
    assert text == f"Raise 5.0% to 2.10: {words}."


@pytest.mark.parametrize(
    ("cover", "words"),
    [
        (12.4, "stock covers only 12 of the next 28 periods"),
        (60.0, "stock covers 60 periods, more than the 28 ahead"),
        (NAN, "the stock level"),
        (math.inf, "the stock level"),
    ],
)
def test_stock_words_follow_the_cover(cover: float, words: str) -> None:
    text = sentence(1.90, 2.00, {STOCK: 2.00}, cover=cover)
    assert text == f"Cut 5.0% to 1.90: {words}."


def test_the_binding_rule_comes_last() -> None:
    assert "held at the edge" not in sentence()
    held = sentence(
        2.20,
        2.00,
        {STOCK: 2.00, COMPETITOR: 2.30},
        cover=3.0,
        competitor=1.90,
        binding=("max_change",),
    )
    assert held == (
        "Raise 10.0% to 2.20: stock covers only 3 of the next 28 periods, although the "
        "competitor is 5% below us at 1.90; held at the edge set by the max change per period."
    )
    two = sentence(binding=("cost_floor", "competitor_band"))
    assert two.endswith("; held at the edge set by the cost floor and the competitor band.")
    assert sentence(binding=("some_rule",)).endswith("; held at the edge set by some_rule.")
    assert sentence(counterfactuals={}, binding=("max_price",)) == (
        "Raise 5.0% to 2.10; held at the edge set by the maximum price."
    )


def test_only_the_first_conflict_is_quoted_and_only_when_there_is_one() -> None:
    assert "conflict" not in sentence()
    text = sentence(conflicts=("min price 3.00 is above the max price 2.50", "another"))
    assert text.endswith(" (conflict: min price 3.00 is above the max price 2.50).")
    assert "another" not in text
    both = sentence(binding=("max_price",), conflicts=("one",))
    assert both.endswith("; held at the edge set by the maximum price (conflict: one).")


def test_a_prior_elasticity_is_named_as_such_whether_it_drove_the_price_or_not() -> None:
    text = sentence(elasticity=-1.5, source="default_prior")
    assert text == (
        "Raise 5.0% to 2.10: demand is taken as elastic (elasticity -1.50, a default prior: "
        "its price never varied enough to measure)."
    )
    assert "pooled prior" in sentence(elasticity=-2.0, source="pooled_prior")
    assert "prior" not in sentence()
    not_a_driver = sentence(
        counterfactuals={STOCK: 2.00}, cover=4.0, elasticity=-2.0, source="pooled_prior",
        binding=("max_change",),
    )  # fmt: skip
    assert not_a_driver == (
        "Raise 5.0% to 2.10: stock covers only 4 of the next 28 periods; demand is taken as "
        "elastic (elasticity -2.00, the pooled prior of the other items: its price never "
        "varied enough to measure); held at the edge set by the max change per period."
    )
    alone = sentence(counterfactuals={}, elasticity=-2.0, source="pooled_prior")
    assert alone.startswith("Raise 5.0% to 2.10: demand is taken as elastic")


LIMITS = ProductLimits(unit_cost=None, observed_min=4.0, observed_max=5.0)


def test_a_price_between_two_ladder_steps_names_its_neighbours() -> None:
    config = GuardrailConfig(max_change=None, competitor_band=None)
    ladder = build_ladder(LIMITS, config, 4.5, None)
    a, b = float(ladder.prices[5]), float(ladder.prices[6])
    reason = not_allowed_reason(round((a + b) / 2, 3), ladder, config)
    assert reason is not None and reason.startswith("not on the price ladder (")
    assert f"nearest allowed {a:.2f} / {b:.2f}" in reason
    assert f"{len(ladder.prices)} allowed prices about 1.1% apart" in reason  # max_points
    assert not_allowed_reason(a, ladder, config) is None


def test_price_endings_are_named_when_they_shape_the_ladder() -> None:
    config = GuardrailConfig(max_change=None, competitor_band=None, price_endings=(0.49, 0.99))
    ladder = build_ladder(LIMITS, config, 4.49, None)
    assert list(ladder.prices) == [3.99, 4.49, 4.99, 5.49]
    reason = not_allowed_reason(4.19, ladder, config)
    assert reason == (
        "not on the price ladder (allowed prices end in .49/.99; nearest allowed 3.99 / 4.49)"
    )


def test_a_price_outside_the_range_names_the_rules_setting_it() -> None:
    config = GuardrailConfig(max_change=0.05, competitor_band=None)
    ladder = build_ladder(LIMITS, config, 4.5, None)
    high = not_allowed_reason(6.0, ladder, config)
    assert high is not None and high.startswith(
        f"above the allowed range {ladder.prices[0]:.2f}-{ladder.prices[-1]:.2f}, set by"
    )
    assert "the max change per period" in high
    assert (not_allowed_reason(1.0, ladder, config) or "").startswith("below the allowed range")
