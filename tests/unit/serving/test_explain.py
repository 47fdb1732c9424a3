"""The explanation names each reason exactly when its condition holds."""

from __future__ import annotations

import math

import pytest

from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import build_ladder
from pricing.serving.explain import explain, not_allowed_reason

NAN = math.nan


def sentence(**changes: object) -> str:
    """An explanation with plain inputs (a 5% raise, all known), ``changes`` applied."""
    inputs: dict = {
        "recommended": 2.10,
        "current": 2.00,
        "competitor": 2.00,
        "elasticity": -0.8,
        "cover": 30.0,
        "periods": 28,
        "binding": (),
        "conflicts": (),
    }
    return explain(**(inputs | changes))


def test_a_plain_answer_reads_as_one_sentence() -> None:
    assert sentence() == (
        "Raise 5.0% to 2.10: demand is inelastic (elasticity -0.80), the competitor matches "
        "us at 2.00 and stock is ample."
    )


@pytest.mark.parametrize(
    ("recommended", "current", "head"),
    [
        (2.10, 2.00, "Raise 5.0% to 2.10: "),
        (1.80, 2.00, "Cut 10.0% to 1.80: "),
        (2.00, 2.00, "Keep 2.00: "),
        (2.0009, 2.00, "Keep 2.00: "),  # under 0.05%: no move
        (2.50, 0.0, "Keep 2.50: "),  # no price in effect to move from
    ],
)
def test_the_head_names_the_move(recommended: float, current: float, head: str) -> None:
    text = sentence(recommended=recommended, current=current, competitor=NAN)
    assert text.startswith(head)


@pytest.mark.parametrize(
    ("elasticity", "words"),
    [
        (-0.99, "demand is inelastic (elasticity -0.99)"),
        (-1.0, "demand is elastic (elasticity -1.00)"),
        (-2.49, "demand is elastic (elasticity -2.49)"),
        (-2.5, "demand is highly elastic (elasticity -2.50)"),
    ],
)
def test_elasticity_words_follow_its_size(elasticity: float, words: str) -> None:
    assert f": {words}, " in sentence(elasticity=elasticity)


def test_an_unknown_elasticity_is_left_out() -> None:
    text = sentence(elasticity=NAN)
    assert "elasticity" not in text and "demand is" not in text
    assert text == "Raise 5.0% to 2.10: the competitor matches us at 2.00 and stock is ample."


@pytest.mark.parametrize(
    ("competitor", "words"),
    [
        (2.00, "the competitor matches us at 2.00"),
        (2.009, "the competitor matches us at 2.01"),  # within 0.5%
        (2.20, "the competitor is 10% above us at 2.20"),
        (1.50, "the competitor is 25% below us at 1.50"),
        (NAN, "no competitor price is known"),
    ],
)
def test_competitor_words_say_where_it_stands(competitor: float, words: str) -> None:
    assert f"(elasticity -0.80), {words} and " in sentence(competitor=competitor)


@pytest.mark.parametrize(
    ("cover", "words"),
    [
        (30.0, "stock is ample"),
        (28.0, "stock is ample"),
        (12.4, "stock covers only 12 of the next 28 periods"),
        (NAN, "stock is not tracked"),
        (math.inf, "stock is not tracked"),
    ],
)
def test_stock_words_follow_the_cover(cover: float, words: str) -> None:
    assert sentence(cover=cover).endswith(f" and {words}.")


def test_binding_rules_are_named_only_when_the_price_sits_at_an_edge() -> None:
    assert "held at the edge" not in sentence()
    held = sentence(binding=("cost_floor", "competitor_band"))
    assert held.endswith("; held at the edge set by the cost floor and the competitor band.")
    assert sentence(binding=("some_rule",)).endswith("; held at the edge set by some_rule.")


def test_only_the_first_conflict_is_quoted_and_only_when_there_is_one() -> None:
    assert "conflict" not in sentence()
    text = sentence(conflicts=("min price 3.00 is above the max price 2.50", "another"))
    assert text.endswith(" (conflict: min price 3.00 is above the max price 2.50).")
    assert "another" not in text
    both = sentence(binding=("max_price",), conflicts=("one",))
    assert both.endswith("; held at the edge set by the maximum price (conflict: one).")


def test_a_prior_elasticity_is_named_as_such() -> None:
    text = sentence(elasticity=-1.5, source="default_prior")
    assert "demand is taken as elastic (elasticity -1.50, a default prior" in text
    assert "never varied" in text
    assert "pooled prior" in sentence(elasticity=-2.0, source="pooled_prior")
    assert "prior" not in sentence()


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
