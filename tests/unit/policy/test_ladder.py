"""The price ladder: hard rules always hold, soft rules give way loudly, points are sane."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import build_ladder, ladder_bounds, price_grid

LIMITS = ProductLimits(unit_cost=2.5, observed_min=4.0, observed_max=5.5)


@st.composite
def ladder_inputs(draw: st.DrawFn) -> tuple[ProductLimits, GuardrailConfig, float | None, float]:
    observed_min = draw(st.floats(0.2, 50.0))
    observed_max = observed_min * draw(st.floats(1.0, 3.0))
    cost = draw(st.one_of(st.none(), st.just(float("nan")), st.floats(0.05, 80.0)))
    min_price = draw(st.one_of(st.none(), st.floats(0.1, 80.0)))
    max_price = draw(st.one_of(st.none(), st.floats(0.1, 120.0)))
    limits = ProductLimits(cost, observed_min, observed_max, min_price, max_price)
    band_low = draw(st.floats(0.3, 1.5))
    config = GuardrailConfig(
        min_margin=draw(st.floats(0.0, 1.0)),
        observed_range=draw(st.floats(0.0, 0.5)),
        max_change=draw(st.one_of(st.none(), st.floats(0.005, 0.5))),
        competitor_band=draw(st.one_of(st.none(), st.just((band_low, band_low * 1.5)))),
        price_endings=draw(st.one_of(st.none(), st.just((0.99,)), st.just((0.49, 0.99)))),
        ladder_step=draw(st.floats(0.002, 0.2)),
        max_points=draw(st.integers(1, 80)),
    )
    current = draw(st.one_of(st.none(), st.floats(0.05, 150.0)))
    competitor = draw(st.floats(0.05, 150.0))
    return limits, config, current, competitor


@settings(max_examples=200, deadline=None)
@given(ladder_inputs())
def test_hard_rules_always_hold(inputs: tuple) -> None:
    limits, config, current, competitor = inputs
    ladder = build_ladder(limits, config, current, competitor)
    prices = ladder.prices
    assert len(prices) >= 1
    assert np.all(np.diff(prices) > 0)
    assert np.allclose(prices, np.round(prices, 2))
    lo, hi = ladder.hard_bounds
    assert np.all(prices >= lo - 1e-9) and np.all(prices <= hi + 1e-9)
    floors = [limits.observed_min * (1 - config.observed_range)]
    floors += [v for v in (limits.min_price, config.min_price) if v is not None]
    if limits.has_cost:
        floors.append(limits.unit_cost * (1 + config.min_margin))
    ceilings = [limits.observed_max * (1 + config.observed_range)]
    ceilings += [v for v in (limits.max_price, config.max_price) if v is not None]
    assert np.all(prices >= max(floors) - 1e-9)  # every floor, always
    if any("only the floor price" in text for text in ladder.conflicts):
        assert len(prices) == 1 and lo == hi
    else:
        assert np.all(prices <= min(ceilings) + 1e-9)
    # Every ladder lives on the product's fixed grid, plus the price in effect.
    grid = price_grid(limits, config)
    extra = [] if current is None else [round(current, 2)]
    assert np.all(np.isin(prices, np.union1d(grid, extra)))
    assert len(prices) <= config.max_points + 1


@settings(max_examples=100, deadline=None)
@given(ladder_inputs(), st.floats(0.0, 1.0), st.floats(0.5, 2.0))
def test_the_price_in_effect_can_always_be_kept_when_allowed(
    inputs: tuple, where: float, relative_competitor: float
) -> None:
    limits, config, _, _ = inputs
    grid = price_grid(limits, config)  # a price in effect inside the hard range, a rival near it
    current = grid[0] + where * (grid[-1] - grid[0])
    ladder = build_ladder(limits, config, current, current * relative_competitor)
    assume(ladder.prices[0] <= round(current, 2) <= ladder.prices[-1])
    assert ladder.contains(round(current, 2))


def test_plain_ladder_is_geometric_between_the_hard_bounds() -> None:
    ladder = build_ladder(LIMITS, GuardrailConfig(max_change=None, competitor_band=None))
    assert ladder.hard_bounds == (3.6, 6.05)  # observed range +-10%; cost floor 2.63 is lower
    assert ladder.prices[0] == 3.6 and ladder.prices[-1] == 6.05
    assert len(ladder.prices) == 41  # 1% steps would need 53 points: capped, ends kept
    ratios = ladder.prices[1:] / ladder.prices[:-1]
    assert np.all(ratios < 1.016)
    assert ladder.applied == ("observed_range",)
    assert ladder.not_applicable == ()


def test_cost_floor_binds_and_is_reported() -> None:
    limits = ProductLimits(unit_cost=4.0, observed_min=4.0, observed_max=5.5)
    ladder = build_ladder(limits, GuardrailConfig(max_change=None, competitor_band=None))
    assert ladder.prices[0] == 4.2
    assert ladder.applied == ("cost_floor", "observed_range")


def test_max_change_is_measured_against_the_price_in_effect() -> None:
    config = GuardrailConfig(competitor_band=None)
    for current in (4.0, 5.0):
        ladder = build_ladder(LIMITS, config, current_price=current)
        assert ladder.prices.min() >= current * 0.85 - 1e-9
        assert ladder.prices.max() <= current * 1.15 + 1e-9
        assert ladder.contains(current)
        assert "max_change" in ladder.applied
    low, high = build_ladder(LIMITS, config, 4.0), build_ladder(LIMITS, config, 5.0)
    assert high.prices.max() > low.prices.max()


def test_cost_floor_above_competitor_band_holds_the_closest_price_and_says_so() -> None:
    limits = ProductLimits(unit_cost=4.0, observed_min=4.0, observed_max=6.0)
    ladder = build_ladder(limits, GuardrailConfig(max_change=None), competitor_price=3.12)
    assert ladder.conflicts == (
        "cost floor 4.20 is above the competitor band's top 3.90: "
        "held at 4.20, the closest allowed price",
    )
    assert ladder.prices.tolist() == [4.2]
    assert "competitor_band" in ladder.applied


def test_competitor_band_applies_when_it_can() -> None:
    config = GuardrailConfig(max_change=None)
    ladder = build_ladder(LIMITS, config, competitor_price=4.0)
    assert ladder.prices.min() >= 3.6 and ladder.prices.max() <= 5.0
    assert ladder.applied == ("observed_range", "competitor_band")
    assert ladder.conflicts == ()


def test_band_goes_before_max_change() -> None:
    # Max change keeps 4.25-5.73 around 4.99; a competitor at 3.00 allows at most 3.75.
    ladder = build_ladder(LIMITS, GuardrailConfig(), current_price=4.99, competitor_price=3.0)
    assert "max_change" in ladder.applied
    assert ladder.conflicts == (
        "max-change floor 4.25 is above the competitor band's top 3.75: "
        "held at 4.26, the closest allowed price",
    )
    assert ladder.prices.tolist() == [4.26]  # the ladder point nearest the band


def test_max_change_gives_way_to_a_hard_rule() -> None:
    # The cost went up: the price in effect (3.00) is now below the floor 4.20.
    limits = ProductLimits(unit_cost=4.0, observed_min=3.0, observed_max=6.0)
    ladder = build_ladder(limits, GuardrailConfig(competitor_band=None), current_price=3.0)
    assert ladder.prices.tolist() == [4.2]  # the smallest move the hard rules allow
    assert any("max change's top" in text and "held at 4.20" in text for text in ladder.conflicts)


def test_contradicting_hard_rules_leave_the_floor_price_only() -> None:
    limits = ProductLimits(unit_cost=4.0, observed_min=3.0, observed_max=3.5, max_price=3.6)
    ladder = build_ladder(limits, GuardrailConfig(), current_price=3.5, competitor_price=3.5)
    assert ladder.prices.tolist() == [4.2]
    assert ladder.hard_bounds == (4.2, 4.2)
    assert ladder.conflicts == (
        "cost floor 4.20 is above the max price 3.60: only the floor price 4.20 is allowed",
    )


def test_price_endings_are_applied() -> None:
    config = GuardrailConfig(price_endings=[0.99, 0.49], max_change=None, competitor_band=None)
    ladder = build_ladder(LIMITS, config)
    cents = np.round(ladder.prices * 100).astype(int) % 100
    assert set(cents) <= {49, 99}
    assert ladder.prices.tolist() == [3.99, 4.49, 4.99, 5.49, 5.99]
    assert "price_ending" in ladder.applied


def test_impossible_endings_are_reported_and_cents_kept() -> None:
    limits = ProductLimits(unit_cost=None, observed_min=4.1, observed_max=4.3)
    config = GuardrailConfig(price_endings=[0.99], observed_range=0.0, competitor_band=None)
    ladder = build_ladder(limits, config, current_price=4.2)
    assert ladder.conflicts == (
        "no price ending in .99 between 4.10 and 4.30: price endings dropped",
    )
    assert "price_ending" not in ladder.applied
    assert ladder.prices[0] == 4.1 and ladder.prices[-1] == 4.3


def test_endings_keep_the_price_in_effect() -> None:
    config = GuardrailConfig(price_endings=[0.99], competitor_band=None)
    ladder = build_ladder(LIMITS, config, current_price=4.65)
    assert ladder.prices.tolist() == [3.99, 4.65, 4.99]  # 4.65 kept, 5.99 > +15%


def test_missing_inputs_are_not_applicable_rather_than_wrong() -> None:
    ladder = build_ladder(LIMITS, GuardrailConfig(), current_price=None, competitor_price=None)
    assert ladder.not_applicable == ("max_change", "competitor_band")
    assert ladder.prices[0] == 3.6 and ladder.prices[-1] == 6.05


def test_nearest_and_contains() -> None:
    ladder = build_ladder(LIMITS, GuardrailConfig(price_endings=[0.99], competitor_band=None))
    assert ladder.prices.tolist() == [3.99, 4.99, 5.99]
    assert ladder.nearest(0.5) == 3.99
    assert ladder.nearest(4.50) == 4.99 and ladder.nearest(4.48) == 3.99
    assert ladder.nearest(100.0) == 5.99
    assert ladder.contains(4.99) and not ladder.contains(4.98)
    with pytest.raises(ValueError):
        ladder.prices[0] = 1.0  # shared and read-only


@settings(max_examples=150, deadline=None)
@given(
    cost=st.one_of(st.none(), st.floats(0.5, 6.0)),
    current=st.one_of(st.none(), st.floats(2.0, 8.0)),
    competitors=st.lists(st.floats(0.5, 12.0), min_size=2, max_size=6),
    max_change=st.one_of(st.none(), st.floats(0.02, 0.3)),
)
def test_floor_and_ceiling_never_fall_as_the_competitor_rises(
    cost, current, competitors, max_change
) -> None:
    limits = ProductLimits(unit_cost=cost, observed_min=4.0, observed_max=5.5)
    config = GuardrailConfig(max_change=max_change)
    ladders = [build_ladder(limits, config, current, c) for c in sorted(competitors)]
    for a, b in itertools.pairwise(ladders):
        assert b.prices[0] >= a.prices[0] - 1e-9
        assert b.prices[-1] >= a.prices[-1] - 1e-9
    lo, hi = ladder_bounds(limits, config, current, np.array(sorted(competitors)))
    assert np.all(np.diff(lo) >= -1e-9) and np.all(np.diff(hi) >= -1e-9)
    for ladder, low, high in zip(ladders, lo, hi, strict=True):  # the cheap bounds track it
        assert (
            abs(ladder.prices[0] - low) <= 0.06 * low
            and abs(ladder.prices[-1] - high) <= 0.06 * high
        )
