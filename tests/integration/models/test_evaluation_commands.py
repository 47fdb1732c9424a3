"""`pricing evaluate` and `pricing bench policy` as an operator runs them: an empty home and a
home without an agent say so clearly (exit 1, no traceback), and nothing is trained or
written on the way."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pricing.data.synthetic import generate_into_home
from pricing.settings import Settings
from tests.integration.commands import run_on

pytestmark = pytest.mark.integration


def pricing(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_on(home, *args, timeout=300)


@pytest.mark.parametrize("command", ["forecast", "elasticity"])
def test_evaluate_on_an_empty_home_says_it_is_empty(tmp_path, command):
    done = pricing(tmp_path / "empty", "evaluate", command)
    assert done.returncode == 1
    assert "holds no data" in done.stderr and "pricing data generate" in done.stderr
    assert "Traceback" not in done.stderr


def test_bench_policy_without_an_agent_names_the_command_and_trains_nothing(tmp_path):
    home = tmp_path / "home"
    generate_into_home(Settings(home=home), products=2, days=60, seed=0)
    done = pricing(home, "bench", "policy", "--scenarios", "1", "--draws", "1")
    assert done.returncode == 1
    assert "no agent" in done.stderr and "pricing train" in done.stderr
    assert "--train-agent" in done.stderr and "Traceback" not in done.stderr
    assert not list((home / "bentoml").rglob("agent.json"))  # nothing trained
    assert not (tmp_path / "bench").exists()  # no results written


def test_evaluate_elasticity_runs_on_canonical_data_alone_and_writes_nothing(tmp_path):
    settings = Settings(home=tmp_path / "home")
    generate_into_home(settings, products=3, days=120, seed=1)
    data = {p: p.stat().st_mtime_ns for p in settings.data_dir.rglob("*")}
    done = pricing(settings.home_dir, "evaluate", "elasticity", "--quick", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["products"] == 3 and result["rank_correlation"] is not None
    assert {p: p.stat().st_mtime_ns for p in settings.data_dir.rglob("*")} == data
    for written in (settings.features_dir, settings.feast_dir, settings.snapshots_dir):
        assert not list(written.rglob("*"))  # no feature files, Feast registry or dataset
