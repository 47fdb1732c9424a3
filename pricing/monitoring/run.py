"""One monitor run: choose the rows, have the reports made, decide, record.

The reports themselves (Evidently) are made by a ``Reporter`` the caller passes in: the
command line and the Prefect flow pass ``pricing_monitoring``'s, so this module stays free
of the framework and the decision logic is testable with a fake.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from pricing.clock import resolve_as_of
from pricing.data.grain import period_delta, period_start_of
from pricing.data.home import HomeData, write_json_atomic, write_parquet_atomic
from pricing.data.schemas import KEY
from pricing.monitoring import history
from pricing.monitoring.config import MonitorSettings
from pricing.monitoring.forecast_quality import ForecastQuality, forecast_quality, per_product
from pricing.monitoring.predictions import PREDICTION_COLUMNS, halves, served_frame
from pricing.monitoring.verdict import DriftFigures, columns_to_test, drift_inputs, verdict
from pricing.monitoring.windows import (
    MonitorHistoryError,
    MonitorWindow,
    current_window,
    reference_rows,
    streamed_rows,
    window_entities,
    window_size,
)
from pricing.settings import Settings

Progress = Callable[[str], None]


class Reporter(Protocol):
    """Makes a report's files under ``out`` (``out.html``, ``out.json``) and its figures."""

    def drift(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        columns: list[str],
        monitor: MonitorSettings,
        title: str,
        out: Path,
    ) -> DriftFigures: ...

    def forecast(self, frame: pd.DataFrame, title: str, out: Path) -> None: ...


@dataclass
class MonitorRun:
    """A run's outcome: the verdict, its figures, where its reports are."""

    record: dict[str, Any]
    reasons: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The ``--json`` line: the verdict and the figures behind it."""
        keep = (
            "drift",
            "drift_share",
            "drifted_features",
            "report",
            "run_id",
            "window_start",
            "window_end",
            "reference_rows",
            "current_rows",
            "streamed_rows",
            "feature_scores",
            "untested_features",
            "forecast_wape",
            "forecast_reference_wape",
            "forecast_coverage_80",
            "forecast_bias",
            "forecast_report",
            "prediction_drift_share",
            "prediction_report",
            "prediction_skipped",
            "forecast_skipped",
            "snapshot_covers_window",
            "retrain",
        )
        return {k: self.record.get(k) for k in keep} | {"reasons": self.reasons}


def prod_snapshot(settings: Settings) -> tuple[dict[str, str], pd.DataFrame]:
    """The prod model set and the training snapshot its demand model came from."""
    from pricing.registry import get_model, prod_set
    from pricing.store.snapshots import load_snapshot

    tags = prod_set(settings)
    if not tags:
        raise MonitorHistoryError(
            "no prod models to monitor yet: run `pricing train` (or `pricing demo`) first"
        )
    snapshot = get_model(settings, "demand", tags["demand"]).metadata.get("snapshot")
    if not snapshot:
        raise MonitorHistoryError(f"prod demand model {tags['demand']} records no snapshot")
    return tags, load_snapshot(settings, str(snapshot))


def window_rows(
    settings: Settings, home: HomeData, window: MonitorWindow
) -> tuple[pd.DataFrame, int]:
    """The window's feature rows from the offline store, plus streamed ones (and how many)."""
    from pricing.store.config import open_offline_store
    from pricing.store.definitions import BASE_SERVICE, realtime_log

    entities = window_entities(home.read("sales"), window)
    store = open_offline_store(settings)
    batch = store.get_historical_features(
        entity_df=entities[[*KEY, "event_timestamp"]],
        features=store.get_feature_service(BASE_SERVICE),
    ).to_df()
    batch["event_timestamp"] = pd.to_datetime(batch["event_timestamp"], utc=True)
    log_path = realtime_log(settings)
    log = pd.read_parquet(log_path) if log_path.exists() else pd.DataFrame()
    if log.empty:
        return batch, 0
    anchor = window.reference_start
    starts = pd.to_datetime(log["event_timestamp"], utc=True).map(
        lambda when: period_start_of(when, window.grain, anchor)
    )
    streamed = streamed_rows(log, batch, window, starts)
    return pd.concat([batch, streamed], ignore_index=True), len(streamed)


def _forecast(
    settings: Settings, home: HomeData, tags: dict[str, str], window: MonitorWindow
) -> ForecastQuality:
    from pricing.environment import native_output_logged
    from pricing.models.demand import DemandForecaster
    from pricing.models.series import build_panel
    from pricing.registry import get_model

    panel = build_panel(home.read("sales"), home.read("competitor_prices"), window.grain)
    with native_output_logged(settings):
        forecaster = DemandForecaster.load(get_model(settings, "demand", tags["demand"]).path)
        return forecast_quality(
            forecaster, panel, window.start, window.periods, settings.monitor.reference_windows
        )


def run_monitor(
    settings: Settings,
    reporter: Reporter,
    progress: Progress | None = None,
    served_decisions: bool = True,
) -> MonitorRun:
    """Data drift, prediction drift and forecast quality for the current window; the verdict
    is recorded in the history whatever it is. ``served_decisions=False`` leaves the decision
    log out (a backfilled window: the log is stamped in wall-clock time, not the data's)."""
    say = progress or (lambda _: None)
    monitor = settings.monitor
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    tags, snapshot = prod_snapshot(settings)
    sales = home.read("sales")
    as_of = resolve_as_of(settings, home)
    series = len(sales[list(KEY)].drop_duplicates())
    window = current_window(sales.loc[sales["observed"], "date"], as_of, grain, monitor, series)
    run_id = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%S%fZ")
    snapshot_end = pd.to_datetime(snapshot["event_timestamp"], utc=True).max()
    record: dict[str, Any] = {
        "run_id": run_id,
        "run_at": pd.Timestamp.now(tz="UTC").isoformat(),
        **window.as_dict(),
        "as_of": as_of.isoformat(),
        "models": tags,
        # the prod models trained on the window: their forecast errors there are in sample
        "snapshot_covers_window": bool(snapshot_end >= window.end),
    }

    say(f"reading the window {window.start.date()} .. {window.end.date()} from the offline store")
    reference = reference_rows(snapshot, window)
    current, streamed = window_rows(settings, home, window)
    frames = drift_inputs(reference, current, monitor, list(KEY))
    if not frames.columns:
        raise MonitorHistoryError(f"no feature has enough values to test: {frames.untested}")
    out = history.run_dir(settings, run_id)  # created once the run can no longer refuse
    out.mkdir(parents=True, exist_ok=True)
    say(f"data drift: {len(frames.columns)} features, {len(reference)} vs {len(current)} rows")
    started = time.perf_counter()
    scaled = ", each series scaled by its reference median" if monitor.per_series else ""
    data = reporter.drift(
        frames.reference,
        frames.current,
        frames.columns,
        monitor,
        f"Serving features{scaled}",
        out / "data_drift",
    )
    data = DriftFigures(data.columns, {**data.untested, **frames.untested})
    record |= {
        "report": str(out / "data_drift.html"),
        "drift_share": round(data.share, 4),
        "drifted_features": data.drifted_features,
        "feature_scores": data.scores(),
        "untested_features": data.untested,
        "reference_rows": len(reference),
        "current_rows": len(current),
        "streamed_rows": streamed,
        "data_drift_s": round(time.perf_counter() - started, 2),
    }

    say("forecast quality: the prod forecaster against the window's actuals")
    quality = None
    try:
        quality = _forecast(settings, home, tags, window)
    except (ValueError, MonitorHistoryError) as error:
        record["forecast_skipped"] = str(error)
    if quality is not None:
        frame = quality.frame
        write_parquet_atomic(frame, out / history.FORECAST_FILE)
        reporter.forecast(frame, "Forecast vs actual", out / "forecast_quality")
        record |= {
            "forecast_wape": _round(quality.alarm.wape),
            "forecast_reference_wape": _round(quality.alarm.reference_wape),
            "forecast_coverage_80": _round(quality.alarm.coverage_80),
            "forecast_bias": _round(quality.alarm.bias),
            "forecast_report": str(out / "forecast_quality.html"),
            "forecast_per_product": per_product(frame).round(4).to_dict("records"),
        }

    record |= (
        _prediction_drift(settings, reporter, out, say)
        if served_decisions
        else {
            "prediction_skipped": "an earlier window (backfill): the decision log is not dated in "
            "the data's time"
        }
    )

    drift, reasons = verdict(data, quality.alarm if quality else None, monitor)
    record |= {"drift": drift, "reasons": reasons}
    write_json_atomic(record, out / "summary.json")
    history.append_run(settings, record)
    return MonitorRun(record, reasons)


def _prediction_drift(
    settings: Settings, reporter: Reporter, out: Path, say: Progress
) -> dict[str, Any]:
    """The decision log's later half against its earlier half, on the columns with values on
    both sides (a half served by fallbacks alone has no confidence); fallback shares beside."""
    from pricing.serving.decision_log import read_decisions

    split = halves(served_frame(read_decisions(settings.decisions_dir)))
    if split is None:
        return {"prediction_skipped": "fewer than 60 served decisions in the log"}
    earlier, later = split
    shares = {
        "fallback_share_earlier": round(float(earlier["fallback"].mean()), 4),
        "fallback_share_later": round(float(later["fallback"].mean()), 4),
    }
    columns, untested = columns_to_test(earlier, later, list(PREDICTION_COLUMNS))
    if not columns:
        return shares | {"prediction_skipped": f"no served column to test: {untested}"}
    say("prediction drift: served prices and confidences, later half vs earlier half")
    served = reporter.drift(
        earlier, later, columns, settings.monitor, "Served decisions", out / "prediction_drift"
    )
    return shares | {
        "prediction_drift_share": round(served.share, 4),
        "prediction_drifted": served.drifted_features,
        "prediction_untested": untested,
        "prediction_report": str(out / "prediction_drift.html"),
    }


def backfill(
    settings: Settings, reporter: Reporter, windows: int, progress: Progress | None = None
) -> list[MonitorRun]:
    """Monitor the ``windows`` windows before the current one, oldest first, then the
    current one: a history to read drift over time from on a home that was never monitored.
    Each earlier run reads its window's features as of its end (point in time); its forecast
    check uses today's prod models (in sample when their snapshot covers the window, as
    ``snapshot_covers_window`` records) and it leaves the decision log out."""
    home = HomeData(settings.data_dir)
    grain = home.require_grain()
    series = len(home.read("sales")[list(KEY)].drop_duplicates())
    size = window_size(grain, settings.monitor, series)
    latest = resolve_as_of(settings, home)
    runs = []
    for back in range(windows, 0, -1):
        as_of = latest - period_delta(grain) * (back * size)
        try:
            dated = settings.model_copy(update={"as_of": as_of.isoformat()})
            runs.append(run_monitor(dated, reporter, progress, served_decisions=False))
        except MonitorHistoryError as error:  # too early in the history: skipped
            (progress or (lambda _: None))(f"window ending {as_of.date()} skipped: {error}")
    return [*runs, run_monitor(settings, reporter, progress)]


def _round(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 4)
