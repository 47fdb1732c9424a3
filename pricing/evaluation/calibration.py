"""Is the platform's uncertainty honest? The forecast band's coverage and the confidence's
reliability.

Forecast: the rolling-origin backtest on the home's data (``run_backtest``, the one behind
``pricing evaluate forecast``) gives the share of actuals inside the LSTM's calibrated 10-90%
band (nominal 0.8) and inside the network's own band.

Confidence: a served confidence claims P(the recommended price earns more over the selling
horizon than the current one). It is checked where the truth is known: seeded simulator
scenarios (products training never saw) get a simulated history, the forecaster and the price
response are fitted on it through the production path, and the serving ``Engine`` (the home's
agent and guardrails) prices every scenario from ten current prices. A decision wins when the
truth agrees: the recommended price's true expected earnings over the horizon (the mean of
realized earnings on common random numbers, sales capped by stock, deliveries arriving when
the scenario says) beat the current price's; a decision to keep the price wins when the current
price beats both its ladder neighbours (the alternatives the confidence weighs). Decisions are
bucketed by confidence and each bucket's mean confidence is set against its win rate.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import poisson

from pricing.models.demand_at_price import expected_units
from pricing.serving.features import Row

if TYPE_CHECKING:
    from pricing.data.home import NoDataError
    from pricing.market.scenarios import Scenario
    from pricing.models.agent_export import NumpyPolicy
    from pricing.models.elasticity import PriceResponseModel
from pricing.settings import Settings

#: Current prices each scenario is priced from, as multiples of its usual price. Fitting the
#: models on the scenarios' histories is most of the cost (400 of 420 seconds for 100
#: scenarios and 300 decisions on two busy cores) and serving is cheap, so ten current prices
#: per scenario bring the default 100 scenarios to about 1,000 decisions: with 300, a perfectly
#: calibrated confidence would still show a median largest bucket gap of 0.14, too coarse to
#: judge a 0.1 goal. Decisions of one scenario share its fitted response, so they are not
#: independent draws.
CURRENT_MULTIPLES = (0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2)
#: Demand draws behind each true expected earnings figure.
TRUTH_DRAWS = 200
#: A bucket counts towards the largest gap once it holds this share of the decisions (and at
#: least ``MIN_BUCKET``): a bucket of two decisions says nothing about calibration.
BUCKET_SHARE, MIN_BUCKET = 0.02, 5


@dataclass(frozen=True)
class Reliability:
    """Confidence vs outcome: the Brier score, the largest |confidence - win rate| over the
    buckets with enough decisions (None when none has), and the buckets themselves."""

    brier: float
    max_gap: float | None
    buckets: list[dict[str, float]]
    decisions: int


def reliability(confidence: np.ndarray, win: np.ndarray, bins: int = 10) -> Reliability:
    """Bucket decisions into ``bins`` equal confidence ranges; score them against the wins."""
    confidence, win = np.asarray(confidence, float), np.asarray(win, float)
    which = np.digitize(confidence, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    enough = max(MIN_BUCKET, math.ceil(BUCKET_SHARE * len(confidence)))
    buckets, gaps = [], []
    for b in range(bins):
        inside = which == b
        if not inside.any():
            continue
        mean, rate = float(confidence[inside].mean()), float(win[inside].mean())
        buckets.append(
            {
                "low": b / bins,
                "high": (b + 1) / bins,
                "count": int(inside.sum()),
                "confidence": round(mean, 4),
                "win_rate": round(rate, 4),
            }
        )
        if inside.sum() >= enough:
            gaps.append(abs(mean - rate))
    brier = float(np.mean((confidence - win) ** 2)) if len(win) else math.nan
    return Reliability(brier, max(gaps) if gaps else None, buckets, len(win))


def forecast_coverage(
    sales: pd.DataFrame, rivals: pd.DataFrame | None, grain: str, quick: bool, seed: int
) -> dict[str, Any]:
    """The LSTM's band on the backtest: calibrated and raw coverage, mean margin, sizes."""
    from pricing.models.backtest import LSTM, run_backtest

    result = run_backtest(sales, rivals, grain, quick=quick, seed=seed, models=[LSTM])
    scores = result.pop("models")[LSTM]
    keep = ("coverage_80", "coverage_80_raw", "band_margin", "wape")
    return {**{k: scores[k] for k in keep}, **result}


# -- confidence on simulator scenarios -----------------------------------------------------------


class RowSource:
    """A feature source over rows held in memory (what Feast would answer)."""

    def __init__(self, rows: dict[tuple[str, str], Row]) -> None:
        self.rows = rows

    def read(self, keys: Sequence[tuple[str, str]]) -> list[Row]:
        return [dict(self.rows[key]) for key in keys]


def scenario_rows(
    settings: Settings, scenarios: list[Scenario], seed: int, quick: bool
) -> tuple[PriceResponseModel, pd.DataFrame, dict[tuple[str, str], Row]]:
    """Fit the price response and the forecaster on the scenarios' simulated histories and
    return (response, products table, feature row per series) as ``pricing train`` and
    ``publish`` would leave them (forecasts as of each scenario's start). Not
    ``evaluation.pipeline.fit_pipeline``: it keeps only the median forecast, and the
    confidence needs the band."""
    from pricing.data.home import HomeData
    from pricing.data.ingest import store_batch
    from pricing.data.schemas import KEY
    from pricing.evaluation.pipeline import scenario_histories
    from pricing.models.demand import DemandForecaster
    from pricing.models.elasticity import BASE, PriceResponseModel
    from pricing.models.outputs import elasticity_rows, forecast_rows
    from pricing.store.snapshots import training_frame

    with tempfile.TemporaryDirectory(prefix="pricing-calibration-") as scratch:
        home = settings.model_copy(update={"home": Path(scratch)})
        data = HomeData(home.data_dir)
        store_batch(data, scenario_histories(scenarios, seed), "calibration", replace=True)
        frame = training_frame(home)
        sales, rivals, products = (data.read(t) for t in ("sales", "competitor_prices", "products"))
    response = PriceResponseModel.fit(frame, seed=seed, members=2 if quick else 5, quick=quick)
    forecaster = DemandForecaster().fit(sales, rivals, "daily", quick=quick, seed=seed)
    latest = frame.sort_values([*KEY, "event_timestamp"]).groupby(KEY).tail(1).set_index(KEY)
    elasticity = elasticity_rows(response, frame, pd.Timestamp(0, tz="UTC"), "").set_index(KEY)
    rows = {}
    for s in scenarios:
        key = (s.product_id, s.location_id)
        mine, mine_rivals = (t[t["product_id"] == s.product_id] for t in (sales, rivals))
        forecast = forecast_rows(forecaster, mine, mine_rivals, s.start, "").set_index(KEY).loc[key]
        known = latest.loc[key]
        rows[key] = {
            **{k: float(known[k]) for k in BASE if k in known and pd.notna(known[k])},
            **{k: float(forecast[k]) for k in ("forecast_units", "forecast_q10", "forecast_q90")},
            "forecast_ref_price": float(forecast["forecast_ref_price"]),
            "elasticity": float(elasticity.loc[key, "elasticity"]),
        }
    return response, products, rows


def true_earnings(scenario: Scenario, prices: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Mean earnings over the horizon at each constant price, on the same demand draws
    (uniforms (draws, horizon)) for every price; sales are capped by the stock on hand."""
    prices = np.asarray(prices, float)
    stock = np.full((len(prices), len(uniforms)), float(scenario.initial_inventory))
    total = np.zeros_like(stock)
    for t in range(scenario.horizon):
        stock += scenario.arrivals[t]
        mean = expected_units(
            scenario.product_id, scenario.location_id, prices, scenario.context(t)
        )
        units = np.maximum(poisson.ppf(uniforms[None, :, t], mean[:, None]), 0.0)
        sold = np.minimum(units, stock)
        total += scenario.margin(prices)[:, None] * sold
        stock -= sold
    return total.mean(axis=1)


def decision_won(
    scenario: Scenario, current: float, chosen: float, ladder: np.ndarray, uniforms: np.ndarray
) -> bool:
    """Whether the truth agrees with one served decision (see the module's docstring)."""
    if abs(chosen - current) > 1e-6:
        earned = true_earnings(scenario, np.array([chosen, current]), uniforms)
        return bool(earned[0] > earned[1])
    near = [ladder[ladder < current - 1e-6][-1:], ladder[ladder > current + 1e-6][:1]]
    earned = true_earnings(scenario, np.concatenate([[current], *near]), uniforms)
    return bool(earned[0] > earned[1:].max(initial=-np.inf))


def scenario_decisions(
    settings: Settings, agent: NumpyPolicy, scenarios: int, seed: int, quick: bool = False
) -> pd.DataFrame:
    """Serve a decision for every scenario from each current price; one row per decision
    with its confidence and whether it won. Scenarios whose ladder holds one price, and
    fallback answers, make no decision."""
    from pricing.market.scenario_gen import make_scenarios
    from pricing.market.scenarios import HORIZON, common_random_numbers
    from pricing.policy.guardrails import load_guardrails
    from pricing.serving.catalog import Catalog
    from pricing.serving.engine import Engine, EngineConfig
    from pricing.serving.features import REQUIRED, TS
    from pricing.serving.http_requests import Item

    guardrails = load_guardrails(settings.guardrails)
    chosen = make_scenarios(scenarios, seed, reward=settings.reward, guardrails=guardrails)
    response, products, rows = scenario_rows(settings, chosen, seed, quick)
    as_of = max(s.start for s in chosen)
    config = EngineConfig(reward=settings.reward, horizon=HORIZON)
    engine = Engine(response, agent, Catalog(products, response.series), guardrails, {},
                    lambda: as_of, config)  # fmt: skip
    uniforms = common_random_numbers(chosen, seed + 1, TRUTH_DRAWS)
    items = [Item(product_id=s.product_id, location_id=s.location_id) for s in chosen]
    out = []
    for multiple in CURRENT_MULTIPLES:
        for s in chosen:  # the stock the horizon can sell: on hand now and its deliveries
            rows[s.product_id, s.location_id] |= {
                "last_price": round(s.initial_price * multiple, 2),
                "competitor_min_price": float(s.competitor_prices[0]),
                "on_hand": float(s.max_inventory),
                **{name + TS: as_of.timestamp() for name in REQUIRED},
            }
        _, records = engine.recommend(items, RowSource(rows))
        served = {r["product_id"]: r for r in records if r["policy"] != "fallback"}
        for i, s in enumerate(chosen):
            record = served.get(s.product_id)
            if record is None or len(record["allowed_prices"]) < 2:
                continue
            current, price = record["current_price"], record["recommended_price"]
            ladder = np.asarray(record["allowed_prices"], float)
            won = decision_won(s, current, price, ladder, uniforms[i, :, : s.horizon])
            out.append({"product_id": s.product_id, "multiple": multiple, "current_price": current,
                        "recommended_price": price, "won": won,
                        "confidence": record["response"]["confidence"]})  # fmt: skip
    if not out:
        raise NoDataError(
            f"none of the {len(chosen)} scenarios gave a model decision to score (every answer "
            "a fallback, or a single allowed price): no confidence to check"
        )
    return pd.DataFrame(out)


def plot_reliability(result: Reliability, path: Path) -> Path:
    """Reliability diagram: each bucket's win rate at its mean confidence (size by count)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, label="perfectly calibrated")
    x = [b["confidence"] for b in result.buckets]
    y = [b["win_rate"] for b in result.buckets]
    sizes = [20 + 200 * b["count"] / max(result.decisions, 1) for b in result.buckets]
    ax.plot(x, y, color="C0", linewidth=1)
    ax.scatter(x, y, s=sizes, color="C0", label="decisions (size: count)")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="served confidence", ylabel="observed win rate")
    gap = "n/a" if result.max_gap is None else f"{result.max_gap:.3f}"
    ax.set_title(f"Confidence reliability: Brier {result.brier:.3f}, max gap {gap}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
