"""Prefect's server on PostgreSQL by configuration alone: `pricing flows server` with Prefect's
own PREFECT_SERVER_DATABASE_CONNECTION_URL migrates a fresh database, serves, and the runs of
our flows are recorded there (not in the SQLite file under the home)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from pricing.data.synthetic import generate_into_home
from pricing.processes import free_port, stop_process
from pricing.settings import Settings
from tests.integration.commands import cli_json, command, operator_env, wait_for
from tests.services import postgres_url

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A fresh database on the test PostgreSQL, as Prefect's ``postgresql+asyncpg`` URL;
    dropped afterwards (with any connection a stopped server left behind)."""
    admin = postgres_url()
    name = f"pricing_prefect_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_url(admin).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


def flow_runs(database: str) -> list[tuple[str, str]]:
    """(flow name, state type) of every flow run Prefect recorded in ``database``."""
    url = make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        query = "SELECT f.name, r.state_type FROM flow_run r JOIN flow f ON f.id = r.flow_id"
        return [(str(name), str(state)) for name, state in conn.execute(query).fetchall()]


def test_flows_server_records_runs_in_postgres(tmp_path: Path, prefect_database: str) -> None:
    home = tmp_path / "home"
    generate_into_home(Settings(home=home), products=2, days=30, seed=1)
    port, log = free_port(), tmp_path / "server.log"
    api = f"http://127.0.0.1:{port}/api"
    server_env = operator_env(home, PREFECT_SERVER_DATABASE_CONNECTION_URL=prefect_database)
    server = command(server_env, log, "flows", "server", "--port", str(port))
    try:
        wait_for(lambda: httpx.get(f"{api}/health").is_success or None, 120, "server", log)
        ran = cli_json(operator_env(home, PREFECT_API_URL=api), "flows", "run", "build_features")
        assert ran["flow"] == "build_features"
        assert flow_runs(prefect_database) == [("build-features", "COMPLETED")]
        assert not list((home / "prefect").glob("*.db")), "Prefect fell back to SQLite"
    finally:
        stop_process(server)
