"""``pricing flows``: run the Prefect flows, serve them on schedules, start the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Annotated, Any

import typer

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, settings

app = typer.Typer(help="Prefect flows: run, serve on schedules, start the UI server.")


def _flows() -> Any:
    """The Prefect flows adapter (imported here, at the composition root, and only when used:
    Prefect is slow to import)."""
    from pricing_flows import pipeline

    return pipeline


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="pipeline, or one flow (see --help).")] = "pipeline",
    source: Annotated[str | None, typer.Option(help="Ingest this file first.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Or a built-in data set (oj, ...).")] = None,
    quick: Annotated[bool, typer.Option(help="Tiny models (smoke check).")] = False,
    force: Annotated[bool, typer.Option(help="promote: even if worse.")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Run a flow here; it reports to PREFECT_API_URL's server, or a temporary local one."""
    cfg = settings()
    pipeline = _flows()
    if name not in pipeline.FLOWS:
        fail(f"unknown flow {name!r}; choose from {sorted(pipeline.FLOWS)}", code=2)
    params: dict[str, Any] = {"home": str(cfg.home_dir)}
    if name == "pipeline":
        params |= {"source": source, "dataset": dataset, "quick": quick}
    elif name == "ingest":
        params |= {"source": source, "dataset": dataset}
    elif name.startswith("train_"):
        params |= {"quick": quick}
    elif name == "promote":
        params |= {"force": force}
    where = os.environ.get("PREFECT_API_URL") or "a temporary local Prefect server"
    console.print(f"running flow {name!r} on home {cfg.home_dir}, reporting to {where}")
    result = pipeline.FLOWS[name](**params)
    console.print(json.dumps(result, indent=2, default=str))
    if json_out:
        emit_json({"flow": name, "result": result})


@app.command("serve")
def serve(
    materialize_every: Annotated[int, typer.Option(help="Seconds between materializations.")] = (
        3600
    ),
    retrain_cron: Annotated[str, typer.Option(help="Cron of the full pipeline.")] = "0 3 * * *",
) -> None:
    """Register the deployments (materialize hourly, retrain daily) with the Prefect server
    PREFECT_API_URL names and run them when due (blocks)."""
    if not os.environ.get("PREFECT_API_URL"):
        fail(
            "PREFECT_API_URL is not set: start a server (`pricing flows server`, or `prefect "
            "server start`) and export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    from prefect import serve as prefect_serve

    pipeline = _flows()
    home = {"home": str(settings().home_dir)}  # every run names the home it works on
    deployments = [
        pipeline.materialize.to_deployment(
            name="hourly", interval=materialize_every, parameters=home
        ),
        pipeline.pricing_pipeline.to_deployment(
            name="daily-retrain", cron=retrain_cron, parameters=home
        ),
        *[
            pipeline.FLOWS[name].to_deployment(name="on-demand", parameters=home)
            for name in pipeline.FLOWS
            if name not in ("materialize", "pipeline")
        ],
    ]
    console.print(f"serving {len(deployments)} deployments; open the Prefect UI to watch runs")
    prefect_serve(*deployments)


@app.command("server")
def server(
    port: Annotated[int, typer.Option(help="Port of the API and UI.")] = 4200,
    host: Annotated[str, typer.Option(help="Interface.")] = "127.0.0.1",
) -> None:
    """Start a Prefect server (API + UI, SQLite under the home) with telemetry off."""
    console.print(
        f"Prefect UI: http://{host}:{port}  (export PREFECT_API_URL=http://{host}:{port}/api)"
    )
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host]
    raise typer.Exit(subprocess.call([*command, "--port", str(port)]))
