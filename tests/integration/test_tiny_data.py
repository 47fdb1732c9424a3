"""Ten rows at one price, as a new user would try first: every stage says what history it
needs, refuses or degrades with a flag, and none prints a traceback.

The home is built and trained through the command line (subprocesses, as a user runs it);
serving is then asked in process, through the runtime the service wraps.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from pricing.serving.http_requests import Item
from pricing.serving.runtime import Runtime, registry_models
from pricing.settings import Settings, get_settings
from tests.integration.commands import run_on

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCT, PRICE = "A100", 4.99


def tiny_csv(path: Path, days: int = 10) -> Path:
    """One product, ``days`` consecutive days, the same price every day (the seed format)."""
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    pd.DataFrame(
        {
            "Product_ID": PRODUCT,
            "Date": dates.strftime("%Y-%m-%d"),
            "Sales": [10, 11, 12, 10, 11, 12, 10, 11, 12, 10][:days],
            "Price": PRICE,
            "Competitor_Price": 5.19,
            "Inventory": 100,
        }
    ).to_csv(path, index=False)
    return path


def pricing(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_on(home, *args)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


def last_json(done: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The home after ingest, features, Feast and ``train --quick``; train's JSON."""
    root = tmp_path_factory.mktemp("tiny")
    home = root / "home"
    ingest = pricing(home, "data", "ingest", str(tiny_csv(root / "sales.csv")))
    assert ingest.returncode == 0, ingest.stderr
    for step in (("features", "build"), ("store", "apply"), ("store", "materialize")):
        done = pricing(home, *step)
        assert done.returncode == 0, (step, done.stderr)
    train = pricing(home, "train", "--quick", "--json")
    assert train.returncode == 0, train.stderr
    return home, last_json(train) | {"stdout": train.stdout}


def test_train_trains_with_every_consequence_of_the_short_history_flagged(tiny_home):
    _, train = tiny_home
    notes = train["history_notes"]
    assert any("a full forecaster window needs at least 21 days" in n for n in notes)
    assert any("promotion skips its forecast gate" in n for n in notes)
    assert any("36 days" in n and "evaluate forecast" in n for n in notes)
    assert all("the home has 10" in n for n in notes)
    assert train["elasticity_sources"]["series"] == {"default_prior": 1}
    assert "take the default prior -1.50" in " ".join(train["stdout"].split())
    assert train["promotion"]["promoted"]
    assert any("forecast gate skipped" in r for r in train["promotion"]["reasons"])


def test_published_elasticity_is_the_flagged_prior_with_a_wide_band(tiny_home):
    home, _ = tiny_home
    rows = pd.read_parquet(Settings(home=home).features_dir / "elasticity.parquet")
    row = rows.set_index("product_id").loc[PRODUCT]
    assert row["elasticity_source"] == "default_prior"
    assert row["elasticity"] < -1.0
    assert row["elasticity_upper"] - row["elasticity_lower"] > 0.5


def test_promote_degrades_to_the_policy_and_says_why(tiny_home):
    home, _ = tiny_home
    (home / "bentoml" / "aliases.json").unlink()  # trained but never promoted, as by a flow
    done = pricing(home, "promote", "--json")
    assert done.returncode == 0, done.stderr
    decision = last_json(done)
    assert decision["promoted"] and decision["prod_after"] == decision["challenger"]
    challenger = decision["scores"]["challenger"]
    assert challenger["forecast_wape"] is None and challenger["policy_pct_of_oracle"] > 0
    assert "needs at least 30 days of history per series" in challenger["forecast_skipped"]
    assert decision["reasons"][1].startswith("forecast gate skipped: promotion's forecast")


def test_train_refuses_a_history_shorter_than_one_forecast_window(tmp_path):
    home = tmp_path / "home"
    assert pricing(home, "data", "ingest", str(tiny_csv(tmp_path / "s.csv", 5))).returncode == 0
    done = pricing(home, "train", "--quick")
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert "the demand forecaster needs at least 8 days of history per series" in message
    assert "the home has 5" in message
    assert not (home / "bentoml" / "models").exists()  # refused before anything was trained


def test_evaluate_forecast_refuses_naming_the_history_it_needs(tiny_home):
    home, _ = tiny_home
    done = pricing(home, "evaluate", "forecast", "--quick")
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert "needs at least 36 days of history per series" in message
    assert "holdout of 28" in message and "the home has 10" in message


def test_evaluate_elasticity_reports_the_prior(tiny_home):
    home, _ = tiny_home
    done = pricing(home, "evaluate", "elasticity", "--quick", "--json")
    assert done.returncode == 0, done.stderr
    assert last_json(done)["median_elasticity"] < -1.0


@pytest.fixture
def runtime(tiny_home, monkeypatch: pytest.MonkeyPatch):
    home, _ = tiny_home
    monkeypatch.setenv("PRICING_HOME", str(home))
    monkeypatch.setenv("BENTOML_HOME", str(home / "bentoml"))
    get_settings.cache_clear()
    settings = get_settings()
    served = Runtime(settings, registry_models(settings))
    yield served
    served.close()
    get_settings.cache_clear()


def test_recommendation_is_flagged_and_never_certain(runtime):
    answer = runtime.recommend([Item(product_id=PRODUCT)])["items"][0]
    assert not answer["fallback"], answer
    assert answer["elasticity_source"] == "default_prior"
    assert answer["confidence"] is not None and answer["confidence"] < 1.0
    assert "default prior" in answer["explanation"]


def test_simulate_follows_the_prior_near_the_one_price_and_gives_no_figure_far_off(runtime):
    out = runtime.simulate(Item(product_id=PRODUCT), [4.99, 5.0, 50.0])
    at = {p["price"]: p for p in out["points"]}
    assert out["elasticity_source"] == "default_prior"
    assert at[4.99]["expected_units"] > at[5.0]["expected_units"] > 0
    assert at[50.0]["expected_units"] is None and not at[50.0]["trusted"]  # no made-up figure
    assert at[4.99]["response_confidence"] == 1.0
    assert at[50.0]["response_confidence"] < 0.01  # extrapolated, and it says so
    assert not at[50.0]["allowed"] and "above the allowed range" in at[50.0]["reason"]
