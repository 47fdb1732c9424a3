"""How much history each stage needs, said before it runs instead of found by a traceback.

Stages that look back (the forecaster's training windows, the backtest's holdout, promotion's
forecast score) each need some number of periods of the home's grain. Each need is computed
here from the sizes the stage uses (horizon, lookback, holdout), so the message a user sees
names the need, why, and what the home has. Pure: counts in, sentences out.
"""

from __future__ import annotations

from dataclasses import dataclass

_UNITS = {"daily": "days", "weekly": "weeks", "monthly": "months"}


class InsufficientHistoryError(ValueError):
    """The home's history is too short for a stage; the message names what it needs."""


@dataclass(frozen=True)
class HistoryNeed:
    """At least ``periods`` periods of history (of ``grain``) for ``stage``, ``because``."""

    stage: str
    periods: int
    grain: str
    because: str

    def shortfall(self, have: int) -> str | None:
        """None when ``have`` periods suffice, else the sentence saying what is missing."""
        if have >= self.periods:
            return None
        unit = _UNITS.get(self.grain, "periods")
        return (
            f"{self.stage} needs at least {self.periods} {unit} of history per series "
            f"({self.because}); the home has {have}"
        )

    def require(self, have: int) -> None:
        """Raise ``InsufficientHistoryError`` when ``have`` periods fall short."""
        if (problem := self.shortfall(have)) is not None:
            raise InsufficientHistoryError(problem)


def forecaster_minimum(grain: str, horizon: int) -> HistoryNeed:
    """The least the forecaster trains on: one window, a past period then a whole horizon."""
    because = f"one past period and a forecast horizon of {horizon}"
    return HistoryNeed("the demand forecaster", horizon + 1, grain, because)


def forecaster_full_window(grain: str, horizon: int, lookback: int) -> HistoryNeed:
    """Below this every training window's lookback is partly padding: it trains, flagged."""
    because = f"a lookback of {lookback} and a horizon of {horizon}"
    return HistoryNeed("a full forecaster window", lookback + horizon, grain, because)


def backtest(grain: str, horizon: int, holdout: int, lstm: bool = True) -> HistoryNeed:
    """The backtest holds out ``holdout`` periods and fits on what comes before the first
    origin: the forecaster's minimum with the LSTM, two periods for the baselines alone."""
    fit = forecaster_minimum(grain, horizon).periods if lstm else 2
    because = f"a holdout of {holdout} plus {fit} to fit on before the first origin"
    return HistoryNeed("the forecast backtest", holdout + fit, grain, because)


def promotion_forecast(grain: str, holdout: int) -> HistoryNeed:
    """Promotion scores saved forecasters (no refitting) on the last ``holdout`` periods,
    forecasting from at least two periods before them (the backtest's origins)."""
    because = f"the last {holdout} scored, after at least 2 to forecast from"
    return HistoryNeed("promotion's forecast score", holdout + 2, grain, because)


def training_notes(
    grain: str, periods: int, horizon: int, lookback: int, holdout: int
) -> list[str]:
    """What a training run on ``periods`` periods degrades, one sentence each (none: all fine).

    ``holdout`` is the grain's default (promotion's and ``pricing evaluate forecast``'s); the
    caller has checked ``forecaster_minimum`` already.
    """
    notes = []
    if problem := forecaster_full_window(grain, horizon, lookback).shortfall(periods):
        notes.append(f"{problem}: the forecaster trains on zero-padded windows")
    if problem := promotion_forecast(grain, holdout).shortfall(periods):
        notes.append(f"{problem}: promotion skips its forecast gate and scores the policy only")
    if problem := backtest(grain, horizon, holdout).shortfall(periods):
        notes.append(f"{problem}: `pricing evaluate forecast` refuses")
    return notes
