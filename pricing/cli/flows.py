"""``pricing flows``: run the Prefect flows, serve them on schedules, start the server."""

from __future__ import annotations

import json
import os
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


#: The flows `flows run` takes (pricing_flows.pipeline.FLOWS; listed here so `--help` needs
#: no Prefect import, and tests/integration/flows/test_pipeline.py checks they agree).
FLOW_NAMES = (
    "pipeline", "ingest", "build_features", "materialize", "snapshot", "train_demand",
    "train_elasticity", "train_agent", "evaluate", "promote", "build_bento", "stream_consumer",
    "monitor",
)  # fmt: skip


@app.command("run")
def run(
    name: Annotated[
        str,
        typer.Argument(
            help=f"The flow: {', '.join(FLOW_NAMES)} ('-' or '_' alike).",
            show_default=True,
        ),
    ] = "pipeline",
    source: Annotated[str | None, typer.Option(help="Ingest this file first.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Or a built-in data set (oj, ...).")] = None,
    quick: Annotated[bool, typer.Option(help="Tiny models (smoke check).")] = False,
    force: Annotated[bool, typer.Option(help="promote: even if worse.")] = False,
    idle_exit: Annotated[
        float | None,
        typer.Option(help="stream_consumer: stop after this many seconds without events."),
    ] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Run a flow here; it reports to PREFECT_API_URL's server, or a temporary local one."""
    cfg = settings()
    name = name.replace("-", "_")
    if name not in FLOW_NAMES:
        fail(f"unknown flow {name!r}; choose from {', '.join(FLOW_NAMES)}", code=2)
    pipeline = _flows()
    params: dict[str, Any] = {"home": str(cfg.home_dir)}
    if name == "pipeline":
        params |= {"source": source, "dataset": dataset, "quick": quick}
    elif name == "ingest":
        params |= {"source": source, "dataset": dataset}
    elif name.startswith("train_") or name == "monitor":
        params |= {"quick": quick}
    elif name == "promote":
        params |= {"force": force}
    elif name == "stream_consumer":
        params |= {"idle_exit_s": idle_exit}
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
    stream_every: Annotated[
        int,
        typer.Option(
            min=0,
            help="Seconds between starts of the stream consumer's deployment, each cancelled "
            "at once while a run is going (at most one runs): it is restarted this soon after "
            "it stopped. 0: no schedule (start it with Run in the UI).",
        ),
    ] = 300,
    monitor_cron: Annotated[
        str,
        typer.Option(
            help="Cron of the drift monitor (it retrains when it flags drift, unless "
            "PRICING_MONITOR__RETRAIN_ON_DRIFT=false)."
        ),
    ] = "0 6 * * *",
    in_process: Annotated[
        bool, typer.Option("--in-process", hidden=True, help="Run Prefect's runner here.")
    ] = False,
) -> None:
    """Register the deployments (materialize hourly, retrain daily, monitor daily, the stream
    consumer kept running) with the Prefect server PREFECT_API_URL names and run them when
    due (blocks; SIGTERM or Ctrl-C stops it). Pause the stream-consumer deployment to stop
    the consumer for good: a cancelled run is otherwise restarted by its schedule."""
    if not os.environ.get("PREFECT_API_URL"):
        fail(
            "PREFECT_API_URL is not set: start a server (`pricing flows server`, or `prefect "
            "server start`) and export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    cfg = settings()
    if in_process:
        _serve_deployments(
            str(cfg.home_dir), materialize_every, retrain_cron, stream_every, monitor_cron
        )
        return
    # Prefect's runner runs in a child this command stops: on a stop signal it pauses the
    # deployments first, which hangs for good once the API has stopped.
    from pricing.processes import supervise

    command = [sys.executable, "-m", "pricing.cli.main", "flows", "serve", "--in-process"]
    command += ["--materialize-every", str(materialize_every), "--retrain-cron", retrain_cron]
    command += ["--stream-every", str(stream_every), "--monitor-cron", monitor_cron]
    raise typer.Exit(supervise(command, os.environ | cfg.as_environment()))


def _deployments(
    home: str, materialize_every: int, retrain_cron: str, stream_every: int, monitor_cron: str
) -> list[Any]:
    """Every deployment ``flows serve`` runs, each naming the home its runs work on.

    ``stream-consumer/realtime`` holds one run at a time (deployment concurrency 1; a run
    started while one goes is cancelled at once, not queued); with ``stream_every`` its
    schedule starts a run that often, so a consumer that stopped (its retries spent, the
    runner restarted) is running again within that time."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    pipeline = _flows()
    params = {"home": home}
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    return [
        pipeline.materialize.to_deployment(
            name="hourly", interval=materialize_every, parameters=params
        ),
        pipeline.pricing_pipeline.to_deployment(
            name="daily-retrain", cron=retrain_cron, parameters=params
        ),
        pipeline.stream_consumer.to_deployment(
            name="realtime",
            interval=stream_every or None,
            parameters=params,
            concurrency_limit=one_at_a_time,
            description="The stream consumer (Kafka -> realtime view), kept running: pause "
            "this deployment to stop it for good.",
        ),
        pipeline.monitor.to_deployment(
            name="daily",
            cron=monitor_cron,
            parameters=params,
            description="Drift and forecast-quality reports; retrains when drift is flagged.",
        ),
        *[
            pipeline.FLOWS[name].to_deployment(name="on-demand", parameters=params)
            for name in pipeline.FLOWS
            if name not in ("materialize", "pipeline", "stream_consumer", "monitor")
        ],
    ]


def _serve_deployments(
    home: str, materialize_every: int, retrain_cron: str, stream_every: int, monitor_cron: str
) -> None:
    """Prefect's runner over every deployment."""
    from prefect import serve as prefect_serve

    served = _deployments(home, materialize_every, retrain_cron, stream_every, monitor_cron)
    console.print(f"serving {len(served)} deployments; open the Prefect UI to watch runs")
    prefect_serve(*served)


def _ui_api_url(host: str, port: int) -> str:
    """The API URL a browser showing the UI of a server on ``host:port`` calls (a wildcard
    interface is reached on the loopback one)."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{reachable}:{port}/api"


@app.command("server")
def server(
    port: Annotated[int, typer.Option(help="Port of the API and UI.")] = 4200,
    host: Annotated[str, typer.Option(help="Interface.")] = "127.0.0.1",
) -> None:
    """Start a Prefect server (API + UI) with telemetry off; its database is SQLite under the
    home, or the PostgreSQL Prefect's PREFECT_SERVER_DATABASE_CONNECTION_URL names
    (postgresql+asyncpg://...), migrated on start. Its UI calls the API on this host and
    port (PREFECT_UI_API_URL overrides: a proxy, another host); SIGTERM or Ctrl-C stops it."""
    from pricing.processes import supervise

    api = _ui_api_url(host, port)
    env = dict(os.environ)
    if not {"PREFECT_UI_API_URL", "PREFECT_SERVER_UI_API_URL"} & env.keys():
        env["PREFECT_SERVER_UI_API_URL"] = api
    console.print(f"Prefect UI: http://{host}:{port}  (export PREFECT_API_URL={api})")
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host]
    raise typer.Exit(supervise([*command, "--port", str(port)], env))
