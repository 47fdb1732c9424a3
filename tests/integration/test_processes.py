"""Long-running commands stop when told: a stop signal to the command reaches every process
below it, a child that ignores it is killed after the grace period, and the command exits
within 10 s with its ports free (``pricing flows server`` and ``pricing flows serve`` here;
``pricing serve`` in the operator's loop, tests/integration/serving/test_operator_loop.py)."""

from __future__ import annotations

import signal
import sys
import textwrap

import httpx
import psutil
import pytest

from pricing.processes import free_port, start, stop_process
from tests.integration.commands import command, operator_env, port_free, stop_by_signal, wait_for

pytestmark = [pytest.mark.integration]

#: A worker in a session of its own (as ``bentoml serve`` starts its workers) that holds a
#: port and ignores TERM, under a server that ignores TERM too (Prefect's runner, hanging).
WORKER = """
import signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
sock = socket.socket()
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen()
time.sleep(600)
"""
SERVER = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, sys.argv[1], sys.argv[2]], start_new_session=True)
time.sleep(600)
"""
SUPERVISOR = (
    "import sys; from pricing.processes import supervise; sys.exit(supervise(sys.argv[1:]))"
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_reaches_a_worker_in_another_session_and_a_hanging_server(tmp_path, signum):
    (tmp_path / "worker.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "server.py").write_text(textwrap.dedent(SERVER))
    port, log = free_port(), tmp_path / "supervisor.log"
    argv = [sys.executable, "-c", SUPERVISOR, sys.executable, str(tmp_path / "server.py")]
    with open(log, "wb") as out:
        supervisor = start([*argv, str(tmp_path / "worker.py"), str(port)], output=out)
    try:
        wait_for(lambda: None if port_free(port) else True, 30, "the worker's port", log)
        tree = psutil.Process(supervisor.pid).children(recursive=True)
        assert len(tree) == 2
        stop_by_signal(supervisor, signum, port)
        assert supervisor.returncode == 0
        assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    finally:
        stop_process(supervisor)


@pytest.mark.slow
def test_flows_server_ui_calls_the_chosen_port_and_stops_on_sigterm(tmp_path):
    port, log = free_port(), tmp_path / "server.log"
    # An operator's shell may point PREFECT_API_URL elsewhere: the UI still calls this server.
    env = operator_env(tmp_path / "home", PREFECT_API_URL="http://127.0.0.1:4200/api")
    server = command(env, log, "flows", "server", "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{url}/api/health").is_success or None, 180, "server", log)
        assert httpx.get(f"{url}/ui-settings").json()["api_url"] == f"{url}/api"
        stop_by_signal(server, signal.SIGTERM, port)
    finally:
        stop_process(server)


@pytest.mark.slow
def test_flows_serve_stops_on_sigterm_after_the_api_stopped(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = operator_env(tmp_path / "home", PREFECT_API_URL=api, PYTHONUNBUFFERED="1")
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    server = command(env, server_log, "flows", "server", "--port", str(port))
    served = None
    try:
        wait_for(lambda: httpx.get(f"{api}/health").is_success or None, 180, "server", server_log)
        served = command(env, serve_log, "flows", "serve")
        last = f"{api}/deployments/name/build-bento/on-demand"  # registered last, then it runs
        wait_for(lambda: httpx.get(last).is_success or None, 180, "deployments", serve_log)
        runner = psutil.Process(served.pid).children(recursive=True)
        stop_by_signal(server, signal.SIGINT, port)
        stop_by_signal(served, signal.SIGTERM)
        assert not [p for p in runner if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    finally:
        if served is not None:
            stop_process(served)
        stop_process(server)
