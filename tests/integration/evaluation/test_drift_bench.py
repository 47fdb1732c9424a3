"""`pricing bench drift`'s core on a tiny market: steady windows tested one after another,
each shift tested in its first window, every verdict through Evidently as the monitor's."""

from __future__ import annotations

import pytest

from pricing.evaluation.drift_bench import run_drift_bench
from pricing.settings import Settings
from pricing_monitoring.reports import EvidentlyReporter

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_steady_windows_and_each_shift_are_scored(tmp_path):
    bench = run_drift_bench(
        Settings(home=tmp_path / "home"),
        EvidentlyReporter(),
        products=10,
        windows=2,
        seeds=1,
        quick=True,
    )
    rates = bench.rates()
    assert rates["no_drift_windows"] == 2 and 0 <= rates["false_alarm_rate"] <= 1
    assert [t.scenario for t in bench.tests] == [
        "none",
        "none",
        *("price_war", "demand_shock", "elasticity"),
    ]
    war = next(t for t in bench.tests if t.scenario == "price_war")
    assert war.drift and "price_gap_ratio" in war.drifted_features  # rivals 25% cheaper at once
    assert all(t.window_start == war.window_start for t in bench.tests[2:])  # the first window
