"""Promotion's comparison: a challenger no worse than prod (within tolerance) goes in."""

from __future__ import annotations

import pytest

from pricing.promotion import Thresholds, compare
from pricing.settings import Settings

LIMITS = Thresholds(policy_points=0.5, forecast_ratio=1.02)
PROD = {"policy_pct_of_oracle": 90.0, "forecast_wape": 0.40}


def scores(policy: float, wape: float) -> dict[str, float]:
    return {"policy_pct_of_oracle": policy, "forecast_wape": wape}


def test_thresholds_come_from_settings(tmp_path):
    settings = Settings(home=tmp_path, promote_policy_points=1.5, promote_forecast_ratio=1.1)
    assert Thresholds.of(settings) == Thresholds(policy_points=1.5, forecast_ratio=1.1)


def test_better_challenger_is_promoted():
    assert compare(scores(92.0, 0.35), PROD, LIMITS) == (
        True,
        ["at least as good as prod on policy and forecast"],
    )


@pytest.mark.parametrize(
    "challenger",
    [
        scores(90.0, 0.40),  # equal
        scores(89.5, 0.408),  # worse, but exactly at both tolerances
    ],
)
def test_equal_or_within_tolerance_is_promoted(challenger):
    ok, reasons = compare(challenger, PROD, LIMITS)
    assert ok and reasons == ["at least as good as prod on policy and forecast"]


def test_worse_on_policy_is_refused_with_the_figures():
    ok, reasons = compare(scores(89.4, 0.30), PROD, LIMITS)
    assert not ok
    assert reasons == ["policy 89.40% of oracle is below prod's 90.00% - 0.5 points"]


def test_worse_on_forecast_is_refused_with_the_figures():
    ok, reasons = compare(scores(95.0, 0.41), PROD, LIMITS)
    assert not ok
    assert reasons == ["forecast WAPE 0.4100 exceeds prod's 0.4000 x 1.02"]


def test_worse_on_both_gives_both_reasons():
    ok, reasons = compare(scores(80.0, 0.50), PROD, LIMITS)
    assert not ok
    assert [reason.split()[0] for reason in reasons] == ["policy", "forecast"]


def test_a_missing_forecast_score_is_not_a_pass():
    ok, reasons = compare(scores(95.0, float("nan")), PROD, LIMITS)
    assert not ok and "forecast WAPE nan" in reasons[0]


def test_without_a_forecast_score_the_policy_decides_and_the_reasons_say_so():
    short = "promotion's forecast score needs at least 30 days of history per series (...)"
    skipped = {"policy_pct_of_oracle": 90.0, "forecast_wape": None, "forecast_skipped": short}
    ok, reasons = compare(skipped, {**skipped, "policy_pct_of_oracle": 89.0}, LIMITS)
    assert ok
    assert reasons == [f"forecast gate skipped: {short}", "at least as good as prod on policy"]
    ok, reasons = compare({**skipped, "policy_pct_of_oracle": 80.0}, skipped, LIMITS)
    assert not ok and reasons[0].startswith("policy 80.00% of oracle is below")
    assert reasons[1] == f"forecast gate skipped: {short}"
