"""How good is the drift monitor: false alarms on a steady market, detection of real shifts.

A seeded synthetic market is simulated without any shift; its serving-feature rows (the
point-in-time rows a snapshot holds, computed in memory) are cut into consecutive monitor
windows, each tested against the reference windows before it exactly as ``pricing monitor``
tests the current window: every alarm there is a false one. Then, for each kind of
``MarketShift``, a market of the same seed (the same products, our prices and the rivals'
own moves; its own demand draws) is simulated with the shift starting at the first tested
window, and that first window (and only it) is tested against the forecaster fitted on the
steady market's history before it: a miss means the monitor would not have flagged the
shift in its first window. Several seeds give rates, not
anecdotes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pricing.data.home import HomeData
from pricing.data.ingest import store_batch
from pricing.data.schemas import KEY
from pricing.market.drift import SHIFT_KINDS, MarketShift, ShiftKind
from pricing.market.generate import generate_market
from pricing.models.demand import DemandForecaster
from pricing.models.series import Panel, build_panel
from pricing.monitoring.config import MonitorSettings
from pricing.monitoring.forecast_quality import QuantileForecaster, forecast_quality
from pricing.monitoring.run import Reporter
from pricing.monitoring.verdict import DriftFigures, ForecastAlarm, drift_inputs, verdict
from pricing.monitoring.windows import window_size
from pricing.settings import Settings
from pricing.store.snapshots import training_frame

#: Periods of history before the first reference window (the 28-period features fill up).
WARM_UP = 35


@dataclass
class WindowTest:
    seed: int
    scenario: str
    window_start: str
    drift: bool
    drift_share: float
    drifted_features: list[str]
    wape_ratio: float | None
    forecast_bias: float
    reasons: list[str]


@dataclass
class DriftBench:
    tests: list[WindowTest] = field(default_factory=list)

    def rates(self) -> dict[str, Any]:
        steady = [t for t in self.tests if t.scenario == "none"]
        out: dict[str, Any] = {
            "no_drift_windows": len(steady),
            "false_alarms": sum(t.drift for t in steady),
            "false_alarm_rate": round(float(np.mean([t.drift for t in steady])), 4)
            if steady
            else None,
        }
        for kind in SHIFT_KINDS:
            shifted = [t for t in self.tests if t.scenario == kind]
            if shifted:
                out[f"{kind}_flagged"] = sum(t.drift for t in shifted)
                out[f"{kind}_runs"] = len(shifted)
                out[f"{kind}_detection_rate"] = round(float(np.mean([t.drift for t in shifted])), 4)
        return out


@dataclass(frozen=True)
class MarketRows:
    """A simulated market's serving-feature rows (a snapshot's rows, in memory) and the
    panel its forecaster reads."""

    frame: pd.DataFrame
    panel: Panel


def market_rows(
    settings: Settings, products: int, days: int, seed: int, shift: MarketShift | None
) -> MarketRows:
    market = generate_market(products, days, seed, shift=shift)
    with tempfile.TemporaryDirectory(prefix="pricing-drift-") as scratch:
        home = settings.for_home(Path(scratch))
        data = HomeData(home.data_dir)
        store_batch(data, market.batch, f"bench:drift:{seed}", replace=True)
        frame = training_frame(home)
        panel = build_panel(data.read("sales"), data.read("competitor_prices"), "daily")
    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
    return MarketRows(frame, panel)


def score_window(
    rows: MarketRows,
    start: pd.Timestamp,
    monitor: MonitorSettings,
    reporter: Reporter,
    forecaster: QuantileForecaster,
    out: Path,
) -> tuple[DriftFigures, ForecastAlarm]:
    """Test the window from ``start`` against the reference windows right before it, as
    ``pricing monitor`` does: the features' drift, and the forecaster on the actuals."""
    size = window_size("daily", monitor, rows.panel.keys.shape[0])
    stamps = rows.frame["event_timestamp"]
    current = rows.frame[(stamps >= start) & (stamps < start + pd.Timedelta(days=size))]
    span = pd.Timedelta(days=size * monitor.reference_windows)
    reference = rows.frame[(stamps < start) & (stamps >= start - span)]
    frames = drift_inputs(reference, current, monitor, list(KEY))
    figures = reporter.drift(
        frames.reference, frames.current, frames.columns, monitor, "drift bench", out
    )
    quality = forecast_quality(forecaster, rows.panel, start, size, monitor.reference_windows)
    return DriftFigures(figures.columns, frames.untested), quality.alarm


def run_drift_bench(
    settings: Settings,
    reporter: Reporter,
    products: int = 30,
    windows: int = 24,
    seeds: int = 2,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DriftBench:
    """``windows`` steady windows per seed, and each shift kind once per seed; the
    forecaster is fitted per seed on the steady market's history before the first tested
    window (a prod model trained then) and refitted (warm) before each later steady window,
    as a prod model retrained every window would be; the shifted markets meet the model
    fitted before the shift."""
    from pricing.environment import native_output_logged

    monitor = settings.monitor
    size = window_size("daily", monitor, products)
    first = WARM_UP + size * monitor.reference_windows
    days = first + size * windows
    bench = DriftBench()
    say = progress or (lambda _: None)
    with tempfile.TemporaryDirectory(prefix="pricing-drift-reports-") as reports:
        out = Path(reports) / "report"
        for seed in range(seeds):
            say(f"seed {seed}: simulating the steady market, fitting its forecaster")
            steady = market_rows(settings, products, days, seed, None)
            with native_output_logged(settings):
                forecaster = DemandForecaster().fit_panel(
                    steady.panel.head(first), size, quick=quick, seed=seed
                )
            origin = steady.frame["event_timestamp"].min()
            shock_model = forecaster.save(Path(reports) / f"forecaster-{seed}")
            for k in range(windows):
                say(f"seed {seed}: steady window {k + 1}/{windows}")
                if k:  # retrained on what is known by then, as prod would be
                    with native_output_logged(settings):
                        cut = steady.panel.head(first + k * size)
                        forecaster.fit_panel(cut, size, quick=quick, seed=seed, warm=True)
                start = origin + pd.Timedelta(days=first + k * size)
                scored = score_window(steady, start, monitor, reporter, forecaster, out)
                bench.tests.append(_record(seed, "none", start, *scored, monitor))
            with native_output_logged(settings):
                forecaster = DemandForecaster.load(shock_model)
            for kind in SHIFT_KINDS:
                say(f"seed {seed}: {kind.replace('_', ' ')} from day {first}")
                shift = MarketShift(kind, start=first)
                shifted = market_rows(settings, products, first + size, seed, shift)
                start = origin + pd.Timedelta(days=first)
                scored = score_window(shifted, start, monitor, reporter, forecaster, out)
                bench.tests.append(_record(seed, kind, start, *scored, monitor))
    return bench


def _record(
    seed: int,
    scenario: ShiftKind | str,
    start: pd.Timestamp,
    figures: DriftFigures,
    alarm: ForecastAlarm,
    monitor: MonitorSettings,
) -> WindowTest:
    drift, reasons = verdict(figures, alarm, monitor)
    return WindowTest(
        seed,
        scenario,
        start.date().isoformat(),
        drift,
        round(figures.share, 4),
        figures.drifted_features,
        round(alarm.wape / alarm.reference_wape, 3) if alarm.reference_wape else None,
        round(alarm.bias, 3),
        reasons,
    )


def plot_drift_bench(bench: DriftBench, monitor: MonitorSettings, path: Path) -> None:
    """Per tested window, the two halves of the verdict: the share of features drifted and
    the forecaster's bias, steady windows in grey and each shift's first window in colour,
    the thresholds as dashed lines; a hollow marker is a window the verdict flagged."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    steady = [t for t in bench.tests if t.scenario == "none"]
    colours = {"none": "grey", "price_war": "tab:red", "demand_shock": "tab:blue"}
    colours["elasticity"] = "tab:green"
    for kind, colour in colours.items():
        tests = [t for t in bench.tests if t.scenario == kind]
        x = range(len(tests)) if kind == "none" else np.linspace(0, len(steady) - 1, len(tests))
        label = "no shift" if kind == "none" else f"{kind.replace('_', ' ')} (first window)"
        for axis, values in (
            (top, [t.drift_share for t in tests]),
            (bottom, [t.forecast_bias for t in tests]),
        ):
            axis.scatter(
                list(x),
                values,
                c=[colour if not t.drift else "white" for t in tests],
                edgecolors=colour,
                marker="o" if kind == "none" else "D",
                label=label,
            )
    top.axhline(monitor.drift_share, color="black", linestyle="--", label="threshold")
    for sign in (1, -1):
        bottom.axhline(sign * monitor.bias_limit, color="black", linestyle="--")
    top.set_ylabel("share of features drifted")
    bottom.set_ylabel("units sold / forecast - 1")
    bottom.set_xlabel("tested window (hollow: flagged)")
    top.legend(loc="upper center", fontsize=7, ncols=3)
    top.set_title("Drift monitor: false alarms on a steady market, first-window detection")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
