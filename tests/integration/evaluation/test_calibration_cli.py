"""`pricing evaluate calibration` on a tiny quick home: the figures are there and in range, and
an empty home is told what to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pricing.evaluation.calibration import CURRENT_MULTIPLES
from tests.integration.commands import cli_json, operator_env, run_on

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_calibration_reports_coverage_brier_and_gap(trained_home, tmp_path: Path) -> None:
    source, bentoml_home = trained_home
    home = tmp_path / "home"
    shutil.copytree(source, home)  # the command writes its diagram into the home's reports
    env = operator_env(home, BENTOML_HOME=str(bentoml_home))
    result = cli_json(env, "evaluate", "calibration", "--quick", "--scenarios", "4")
    assert 0.0 <= result["forecast_coverage_80"] <= 1.0
    assert 0.0 <= result["forecast_coverage_80_raw"] <= 1.0
    assert 0.0 <= result["confidence_brier"] <= 1.0
    gap = result["confidence_max_gap"]
    assert gap is None or 0.0 <= gap <= 1.0
    assert 0 < result["decisions"] <= 4 * len(CURRENT_MULTIPLES) and result["scenarios"] == 4
    assert sum(b["count"] for b in result["buckets"]) == result["decisions"]
    assert Path(result["plot"]).is_file() and Path(result["plot"]).is_relative_to(home)


def test_calibration_on_an_empty_home_says_what_to_run(tmp_path: Path) -> None:
    done = run_on(tmp_path / "empty", "evaluate", "calibration", timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "pricing data generate" in done.stderr
