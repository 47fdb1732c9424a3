"""The operator's path: a real `prefect server`, `pricing flows serve`, a run triggered via
the API and seen to complete; both processes are stopped afterwards."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pricing.data.synthetic import generate_into_home
from pricing.processes import free_port, stop_process
from pricing.settings import Settings
from tests.integration.commands import wait_for
from tests.services import prefect_api

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_served_deployment_runs_on_a_real_prefect_server(tmp_path):
    settings = Settings(home=tmp_path / "home")
    generate_into_home(settings, products=3, days=60, seed=3)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PRICING_"))}
    env |= {
        "PRICING_HOME": str(settings.home_dir),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=server_log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    served = None
    try:
        with prefect_api(api_url) as api:
            wait_for(lambda: api.get("/health").is_success or None, 180, "server", server_log)
            served = subprocess.Popen(
                [sys.executable, "-m", "pricing.cli.main", "flows", "serve"],
                cwd=tmp_path, env=env, stdout=serve_log.open("wb"), stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

            def deployment(name: str) -> dict | None:
                found = api.get(f"/deployments/name/{name}")
                return found.json() if found.is_success else None

            on_demand = wait_for(
                lambda: deployment("build-features/on-demand"), 180, "deployment", serve_log
            )
            hourly = wait_for(  # serve registers deployments one by one
                lambda: deployment("materialize/hourly"), 60, "the hourly deployment", serve_log
            )
            assert hourly["schedules"], "materialize is scheduled"
            assert on_demand["parameters"] == {"home": str(settings.home_dir)}  # runs name it
            created = api.post(f"/deployments/{on_demand['id']}/create_flow_run", json={})
            assert created.is_success, created.text
            run = created.json()

            def finished() -> str | None:
                state = api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
                return state if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

            final = wait_for(finished, 240, "the flow run", serve_log)
            assert final == "COMPLETED", serve_log.read_text()[-3000:]
        assert (settings.features_dir / "sales_stats.parquet").exists()
    finally:
        if served is not None:
            stop_process(served, 30)
        stop_process(server, 30)
    assert server.poll() is not None
