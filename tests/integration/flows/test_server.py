"""The operator's path: a real `prefect server`, `pricing flows serve`, a run triggered via
the API and seen to complete; both processes are stopped afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from pricing.data.synthetic import generate_into_home
from pricing.processes import free_port, stop_process
from pricing.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def wait_for(check, timeout: float, what: str, logs) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (value := check()) is not None:
                return value
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"{what} not seen within {timeout:.0f}s; logs: {logs()}")


def test_served_deployment_runs_on_a_real_prefect_server(tmp_path):
    settings = Settings(home=tmp_path / "home")
    generate_into_home(settings, products=3, days=60, seed=3)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PRICING_"))}
    env |= {
        "PRICING_HOME": str(settings.home_dir),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
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
        logs = lambda: server_log.read_text()[-2000:]  # noqa: E731
        wait_for(lambda: httpx.get(f"{api}/health").is_success or None, 180, "server", logs)
        served = subprocess.Popen(
            [sys.executable, "-m", "pricing.cli.main", "flows", "serve"],
            cwd=tmp_path, env=env, stdout=serve_log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        logs = lambda: serve_log.read_text()[-3000:]  # noqa: E731
        url = f"{api}/deployments/name/build-features/on-demand"
        deployment = wait_for(
            lambda: httpx.get(url).json() if httpx.get(url).is_success else None,
            180, "deployment", logs,
        )  # fmt: skip
        hourly_url = f"{api}/deployments/name/materialize/hourly"
        hourly = wait_for(
            lambda: httpx.get(hourly_url).json() if httpx.get(hourly_url).is_success else None,
            60,
            "the hourly deployment",
            logs,
        )  # fmt: skip  (serve registers deployments one by one)
        assert hourly["schedules"], "materialize is scheduled"
        assert deployment["parameters"] == {"home": str(settings.home_dir)}  # runs name the home
        create_url = f"{api}/deployments/{deployment['id']}/create_flow_run"

        def create() -> dict | None:  # a busy server (its SQLite locked) may refuse once
            created = httpx.post(create_url, json={})
            return created.json() if created.is_success else None

        run = wait_for(create, 60, "a created flow run", logs)

        def finished() -> str | None:
            state = httpx.get(f"{api}/flow_runs/{run['id']}").json()["state"]["type"]
            return state if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

        assert wait_for(finished, 240, "the flow run", logs) == "COMPLETED", logs()
        assert (settings.features_dir / "sales_stats.parquet").exists()
    finally:
        if served is not None:
            stop_process(served, 30)
        stop_process(server, 30)
    assert server.poll() is not None
