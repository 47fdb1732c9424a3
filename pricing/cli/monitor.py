"""``pricing monitor``: drift and forecast-quality reports for the current window."""

from __future__ import annotations

from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, settings


def monitor(
    backfill: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also monitor this many earlier windows first (oldest first): a drift history "
            "for a home that was never monitored.",
        ),
    ] = 0,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Compare the latest window with what the prod models learnt from (Evidently reports).

    Data drift of the serving features (reference: the prod models' training snapshot;
    current: the last PRICING_MONITOR__WINDOW periods from the offline store, streamed
    events included), prediction drift of served decisions, and the forecaster against the
    actuals; thresholds from PRICING_MONITOR__*. The run is added to the history the
    dashboard plots."""
    from pricing.monitoring.run import backfill as backfill_runs
    from pricing_monitoring.reports import EvidentlyReporter

    cfg = settings()
    with console.status("monitoring") as status:
        runs = backfill_runs(
            cfg, EvidentlyReporter(), backfill, progress=lambda text: status.update(text)
        )
    for earlier in runs[:-1]:
        past = earlier.summary()
        console.print(
            f"  earlier window {past['window_start'][:10]} .. {past['window_end'][:10]}: "
            f"{'DRIFT' if past['drift'] else 'no drift'} (share {past['drift_share']:.2f})"
        )
    summary = runs[-1].summary()
    verdict = "[bold red]DRIFT[/]" if summary["drift"] else "[bold green]no drift[/]"
    console.print(
        f"{verdict}  window {summary['window_start'][:10]} .. {summary['window_end'][:10]}: "
        f"{len(summary['drifted_features'])} of {len(summary['feature_scores'])} features "
        f"drifted (share {summary['drift_share']:.2f}, flagged at "
        f"{cfg.monitor.drift_share})"
    )
    for feature, score in summary["feature_scores"].items():
        mark = "drifted" if feature in summary["drifted_features"] else ""
        console.print(f"  {feature:24s} {cfg.monitor.stattest} {score:8.3f}  {mark}")
    if summary["forecast_wape"] is not None:
        console.print(
            f"  forecast WAPE {summary['forecast_wape']:.3f} (reference "
            f"{summary['forecast_reference_wape'] or float('nan'):.3f}), 10-90% band holds "
            f"{summary['forecast_coverage_80']:.0%} of actuals"
        )
    else:
        console.print(f"  forecast quality skipped: {summary['forecast_skipped']}")
    if summary["prediction_drift_share"] is not None:
        console.print(f"  prediction drift share {summary['prediction_drift_share']:.2f}")
    else:
        console.print(f"  prediction drift skipped: {summary['prediction_skipped']}")
    for reason in summary["reasons"]:
        console.print(f"  [red]why:[/] {reason}")
    console.print(f"  report: {summary['report']}")
    console.print("  history and charts: `pricing dashboard` (Drift monitor page)")
    if json_out:
        emit_json(summary)
