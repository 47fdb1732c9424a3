"""``pricing evaluate``: score the forecaster and the price response on the home's own data."""

from __future__ import annotations

from typing import Annotated

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, friendly_errors, settings

app = typer.Typer(help="Evaluate models on the home's data.", no_args_is_help=True)


@app.command("forecast")
@friendly_errors
def forecast(
    horizon: Annotated[
        int | None, typer.Option(min=1, help="Periods ahead (default by grain).")
    ] = None,
    holdout: Annotated[
        int | None, typer.Option(min=1, help="Final periods held out (default by grain).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default PRICING_SEED).")] = None,
    quick: Annotated[bool, typer.Option(help="Tiny LSTM (smoke check only).")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Rolling-origin backtest of the LSTM and the baselines on the home's data.

    Needs the holdout plus the forecaster's minimum (a horizon and one period) before it;
    a shorter history is refused with what it needs."""
    from pricing.data.home import HomeData

    cfg = settings()
    home = HomeData(cfg.data_dir)
    grain = home.require_grain()  # before the heavy imports: an empty home answers at once
    from pricing.models.backtest import run_backtest

    with console.status("rolling-origin backtest (training at every origin)"):
        result = run_backtest(
            home.read("sales"),
            home.read("competitor_prices"),
            grain,
            horizon=horizon,
            holdout=holdout,
            quick=quick,
            seed=cfg.seed if seed is None else seed,
        )
    for name, scores in result["models"].items():
        console.print(f"  {name:18s} WAPE {scores['wape']:.3f}  MASE {scores['mase']:.3f}")
    if json_out:
        emit_json(result)


@app.command("elasticity")
@friendly_errors
def elasticity(
    seed: Annotated[int | None, typer.Option(help="Random seed (default PRICING_SEED).")] = None,
    quick: Annotated[bool, typer.Option(help="Smaller ensemble (smoke check).")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Fit the price response on the home's data; compare with the truth when it is known.

    The training rows (features and their point-in-time join) are built in memory from the
    canonical data: the home's feature files, Feast registry and snapshots are left as they are.
    """
    from pricing.data.home import HomeData

    cfg = settings()
    HomeData(
        cfg.data_dir
    ).require_grain()  # before the heavy imports: an empty home answers at once
    from pricing.models.elasticity_eval import evaluate_elasticity, truth_frame
    from pricing.store.snapshots import training_frame

    with console.status("building the training frame (point-in-time features, in memory)"):
        frame = training_frame(cfg)
    with console.status(f"fitting the price response on {len(frame)} rows"):
        result = evaluate_elasticity(
            frame, truth_frame(cfg), seed=cfg.seed if seed is None else seed, quick=quick
        )
    for key, value in result.items():
        console.print(f"  {key:20s} {value}")
    if json_out:
        emit_json(result)


@app.command("calibration")
@friendly_errors
def calibration(
    scenarios: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Simulator scenarios for the confidence check, each priced from ten current "
            "prices (default 100: about 1,000 decisions).",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default PRICING_SEED).")] = None,
    quick: Annotated[bool, typer.Option(help="Tiny models, 10 scenarios (smoke check).")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Is the uncertainty honest? The forecast band's backtest coverage (nominal 80%) and the
    served confidence's reliability on simulator scenarios, where the truth is known.

    The confidence check uses the home's agent and guardrails; a reliability diagram is
    written under the home's reports folder."""
    from pricing.data.home import HomeData
    from pricing.registry import resolve_model

    cfg = settings()
    home = HomeData(cfg.data_dir)
    grain = home.require_grain()  # before the heavy imports: an empty home answers at once
    agent_ref = resolve_model(cfg, "agent")  # a home without models is told to train
    from pricing.evaluation.calibration import (
        forecast_coverage,
        plot_reliability,
        reliability,
        scenario_decisions,
    )
    from pricing.models.agent_export import NumpyPolicy

    seed = cfg.seed if seed is None else seed
    with console.status("rolling-origin backtest of the forecast band"):
        band = forecast_coverage(
            home.read("sales"), home.read("competitor_prices"), grain, quick, seed
        )
    count = scenarios or (10 if quick else 100)
    with console.status(f"serving decisions on {count} simulator scenarios"):
        decisions = scenario_decisions(
            cfg, NumpyPolicy.load(agent_ref.path), count, seed, quick=quick
        )
    result = reliability(decisions["confidence"].to_numpy(), decisions["won"].to_numpy())
    plot = plot_reliability(result, cfg.reports_dir / "calibration" / "reliability.png")
    gap = "n/a" if result.max_gap is None else f"{result.max_gap:.3f}"
    console.print(
        f"  forecast 10-90% band holds {band['coverage_80']:.3f} of actuals (nominal 0.800; "
        f"{band['coverage_80_raw']:.3f} uncalibrated), {band['evaluated']} actuals"
    )
    console.print(
        f"  confidence: Brier {result.brier:.3f}, largest bucket gap {gap} "
        f"({result.decisions} decisions on {count} scenarios)"
    )
    for b in result.buckets:
        console.print(
            f"    {b['low']:.1f}-{b['high']:.1f}  n={b['count']:<4d} "
            f"confidence {b['confidence']:.3f}  won {b['win_rate']:.3f}"
        )
    console.print(f"  reliability diagram: {plot}")
    if json_out:
        emit_json(
            {
                "forecast_coverage_80": band["coverage_80"],
                "forecast_coverage_80_raw": band["coverage_80_raw"],
                "confidence_brier": result.brier,
                "confidence_max_gap": result.max_gap,
                "buckets": result.buckets,
                "decisions": result.decisions,
                "scenarios": count,
                "forecast": band,
                "plot": str(plot),
            }
        )
