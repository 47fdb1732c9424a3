"""Confidence on cases whose probability is known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from pricing.policy.guardrails import GuardrailConfig, ProductLimits
from pricing.policy.ladder import build_ladder
from pricing.serving.catalog import Entry
from pricing.serving.confidence import (
    PRIOR_ONLY_CAP,
    cap_for_source,
    decision_confidence,
    forecast_sigma,
    win_probability,
)
from pricing.serving.prepared import AnswerPrices, Prepared

#: Two members whose log-units gap is ``mu +- d`` have a spread (sd x the small-ensemble
#: inflation sqrt(1 + 1/2)) of d * sqrt(2) * sqrt(1.5) = d * sqrt(3).
SPREAD = 0.2
HALF_GAP = SPREAD / math.sqrt(3.0)


def members_at(mu: float) -> np.ndarray:
    """Two members' log units at a price, ``mu`` above the other price's on average."""
    return np.array([mu - HALF_GAP, mu + HALF_GAP])


def test_forecast_sigma_reads_the_quantiles() -> None:
    z = norm.ppf(0.9)
    assert forecast_sigma(10 * math.exp(-0.3 * z), 10.0, 10 * math.exp(0.3 * z)) == pytest.approx(
        0.3
    )
    assert forecast_sigma(9.99, 10.0, 10.01) == 0.05  # no forecast is certain
    assert forecast_sigma(0.0, 10.0, 12.0) == 0.5  # unknown spread
    assert forecast_sigma(math.nan, 10.0, 12.0) == 0.5


def test_same_units_and_a_better_margin_always_win() -> None:
    same = np.zeros(2)
    args = (10.0, 0.4, 7, math.inf)
    assert win_probability(same, same, 2.0, 1.0, *args) == 1.0
    assert win_probability(same, same, 1.0, 2.0, *args) == 0.0


def test_nothing_to_earn_either_way_is_a_coin_toss() -> None:
    assert win_probability(np.ones(3), np.zeros(3), 0.0, -1.0, 10.0, 0.4, 7, math.inf) == 0.5


@pytest.mark.parametrize("share", [0.2, 0.8])
def test_lognormal_response_wins_with_its_known_probability(share: float) -> None:
    """Margin ratio r, units ratio exp(mu + s Z): it wins when Z > -(ln r + mu) / s, so with
    the same margins P = Phi(mu / s). The forecast's spread scales both sides alike; the fixed
    15-point grid of draws gives P exactly when 15 P is a whole number."""
    mu = SPREAD * norm.ppf(share)
    p = win_probability(members_at(mu), np.zeros(2), 3.0, 3.0, 10.0, 0.4, 7, math.inf)
    assert p == pytest.approx(share)
    r = 1.25  # a dearer price: the same share needs mu lower by ln r
    mu = SPREAD * norm.ppf(share) - math.log(r)
    assert win_probability(members_at(mu), np.zeros(2), 3.0 * r, 3.0, 10.0, 0.4, 7, math.inf) == (
        pytest.approx(share)
    )


def test_scarce_stock_makes_the_dearer_price_safe() -> None:
    fewer = members_at(-1.0)  # demand falls by 63% at the dearer price
    args = (10.0, 0.4, 7)  # about 70 units wanted over the horizon at the cheaper price
    assert win_probability(fewer, np.zeros(2), 1.2, 1.0, *args, math.inf) == 0.0
    assert win_probability(fewer, np.zeros(2), 1.2, 1.0, *args, 5.0) == 1.0  # 5 sell anyway


def prepared(current: float, limits: ProductLimits | None = None) -> Prepared:
    limits = limits or ProductLimits(unit_cost=None, observed_min=4.0, observed_max=5.5)
    config = GuardrailConfig(max_change=None, competitor_band=None, price_endings=(0.99,))
    row = {
        "forecast_ref_price": current,
        "forecast_units": 10.0,
        "forecast_q10": 8.0,
        "forecast_q90": 12.0,
    }
    return Prepared(
        0,
        Entry("P1", "all", 0, None, math.nan, limits),
        row,
        config,
        build_ladder(limits, config, current, None),
        current,
        math.nan,
        math.inf,
        np.array([current]),
    )


def test_one_allowed_price_is_certain() -> None:
    p = prepared(4.99, ProductLimits(unit_cost=None, observed_min=4.99, observed_max=4.99))
    p.decide(4.99, 1.0)
    assert len(p.ladder.prices) == 1
    assert decision_confidence(p, p.answer, 7, math.inf) == 1.0


def test_a_move_is_compared_with_keeping_the_price() -> None:
    p = prepared(4.99)
    p.decide(5.99, 0.5)
    assert p.answer == AnswerPrices(5.99, 4.99, 3.99, 5.99, 4.99)
    mu = SPREAD * norm.ppf(0.8) - math.log(5.99 / 4.99)
    p.members = np.column_stack(
        [members_at(mu), np.zeros(2), np.zeros(2), members_at(mu), np.zeros(2)]
    )
    margins = p.answer  # revenue: a unit earns its price
    assert decision_confidence(p, margins, 7, math.inf) == pytest.approx(0.8)


@pytest.mark.parametrize("step_down", [True, False])
def test_keeping_is_compared_with_the_better_step(step_down: bool) -> None:
    p = prepared(4.99)
    p.decide(4.99, 0.5)
    better = 3.99 if step_down else 5.99
    mu = SPREAD * norm.ppf(0.6) - math.log(better / 4.99)  # the better step wins 60% of draws
    step, collapse = members_at(mu), np.full(2, -5.0)  # the other step sells almost nothing
    down, up = (step, collapse) if step_down else (collapse, step)
    p.members = np.column_stack([np.zeros(2), np.zeros(2), down, up, np.zeros(2)])
    assert decision_confidence(p, p.answer, 7, math.inf) == pytest.approx(0.4)


def test_a_prior_only_decision_is_capped_below_certainty() -> None:
    """Members that agree (a narrow pooled prior) would say 1.0; a prior is never that sure."""
    assert cap_for_source(1.0, "fitted") == 1.0
    assert cap_for_source(0.97, "fitted") == 0.97
    assert cap_for_source(1.0, "pooled_prior") == PRIOR_ONLY_CAP < 1.0
    assert cap_for_source(1.0, "default_prior") == PRIOR_ONLY_CAP
    assert cap_for_source(0.3, "default_prior") == 0.3  # doubt is kept as it is
