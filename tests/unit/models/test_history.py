"""What each stage needs of the home's history, and the sentences that say it."""

from __future__ import annotations

import pytest

from pricing.models import history
from pricing.models.history import InsufficientHistoryError


def test_forecaster_needs_one_past_period_and_a_horizon() -> None:
    need = history.forecaster_minimum("daily", horizon=7)
    assert need.periods == 8
    assert need.shortfall(8) is None
    problem = need.shortfall(7)
    assert problem is not None
    assert "needs at least 8 days of history per series" in problem
    assert "horizon of 7" in problem and problem.endswith("the home has 7")


def test_backtest_needs_its_holdout_plus_what_the_first_origin_fits_on() -> None:
    assert history.backtest("daily", horizon=7, holdout=28).periods == 28 + 8
    assert history.backtest("weekly", horizon=4, holdout=12).periods == 12 + 5
    assert history.backtest("daily", horizon=7, holdout=28, lstm=False).periods == 30
    with pytest.raises(InsufficientHistoryError, match=r"36 days .* the home has 10"):
        history.backtest("daily", 7, 28).require(10)
    history.backtest("daily", 7, 28).require(36)


def test_promotion_scores_the_holdout_after_two_periods() -> None:
    need = history.promotion_forecast("monthly", holdout=6)
    assert need.periods == 8
    assert "8 months" in (need.shortfall(5) or "")


def test_insufficient_history_is_a_value_error() -> None:
    """Callers that catch ValueError keep working; the command line names it a user error."""
    assert issubclass(InsufficientHistoryError, ValueError)


def test_training_notes_list_each_consequence_of_a_short_history() -> None:
    notes = history.training_notes("daily", 10, horizon=7, lookback=14, holdout=28)
    assert len(notes) == 3
    assert "zero-padded windows" in notes[0] and "21 days" in notes[0]
    assert "skips its forecast gate" in notes[1] and "30 days" in notes[1]
    assert "`pricing evaluate forecast` refuses" in notes[2] and "36 days" in notes[2]
    assert history.training_notes("daily", 400, 7, 28, 28) == []
    only_gate = history.training_notes("daily", 32, 7, 14, 28)
    assert len(only_gate) == 1 and "evaluate forecast" in only_gate[0]
