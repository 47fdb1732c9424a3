"""The confidence reliability figures on known inputs, and the truth they are scored on."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.evaluation.calibration import decision_won, reliability, true_earnings
from pricing.market.scenario_gen import make_scenarios


def test_brier_and_bucket_gaps_on_a_hand_computed_example() -> None:
    confidence = np.array([0.05] * 10 + [0.95] * 10)
    won = np.array([1] + [0] * 9 + [1] * 9 + [0])
    result = reliability(confidence, won)
    assert [b["count"] for b in result.buckets] == [10, 10]
    assert [b["win_rate"] for b in result.buckets] == [0.1, 0.9]
    assert result.max_gap == pytest.approx(0.05)
    assert result.brier == pytest.approx((0.95**2 + 9 * 0.05**2) * 2 / 20)


def test_sure_and_right_scores_perfectly() -> None:
    result = reliability(np.array([1.0] * 6 + [0.0] * 6), np.array([1] * 6 + [0] * 6))
    assert result.brier == 0.0 and result.max_gap == 0.0
    assert [(b["low"], b["high"]) for b in result.buckets] == [(0.0, 0.1), (0.9, 1.0)]


def test_buckets_too_small_to_judge_are_shown_but_not_gapped() -> None:
    confidence = np.array([0.35] * 10 + [0.75] * 2)
    won = np.array([0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0])  # 0.4 won, then 0 of 2
    result = reliability(confidence, won)
    assert len(result.buckets) == 2 and result.max_gap == pytest.approx(0.05)
    assert reliability(np.array([0.5]), np.array([1])).max_gap is None


def test_true_earnings_are_capped_by_stock_and_shared_draws() -> None:
    scenario = make_scenarios(1, seed=3)[0]
    uniforms = np.random.default_rng(0).random((400, scenario.horizon))
    price = scenario.initial_price
    earned = true_earnings(scenario, np.array([price, price]), uniforms)
    assert earned[0] == earned[1]  # common random numbers: same price, same draws, same sales
    stock = scenario.max_inventory
    assert 0 < earned[0] <= price * stock + 1e-9


def test_keeping_wins_only_when_it_beats_both_neighbours() -> None:
    scenario = make_scenarios(1, seed=3)[0]
    uniforms = np.random.default_rng(0).random((200, scenario.horizon))
    ladder = np.round(scenario.initial_price * np.array([0.9, 1.0, 1.1]), 2)
    earned = true_earnings(scenario, ladder, uniforms)
    kept = decision_won(scenario, ladder[1], ladder[1], ladder, uniforms)
    assert kept == bool(earned[1] > max(earned[0], earned[2]))
    moved = decision_won(scenario, ladder[1], ladder[2], ladder, uniforms)
    assert moved == bool(earned[2] > earned[1])
