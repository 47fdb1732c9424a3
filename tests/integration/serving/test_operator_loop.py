"""The operator's loop with real processes on a tiny home: train -> serve -> retrain ->
promote -> serve -> rollback -> serve, every answer from the prod set `pricing promote --json`
names; each `pricing serve` is stopped as an operator stops it (``kill``, Ctrl-C) and the next
one binds the same port."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from pricing.cli.serve import prod_bento
from pricing.processes import free_port, stop_process
from pricing.registry import set_prod
from pricing.settings import get_settings
from pricing_bentos.build import pinned_tags
from tests.integration.commands import (
    cli,
    cli_json,
    command,
    operator_env,
    stop_by_signal,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVED = ("elasticity", "agent", "demand")  # the tags the bento pins and model_version names


def served_versions(env: Mapping[str, str], port: int, log: Path, signum: int) -> dict[str, str]:
    """Start `pricing serve`, price one item, stop it with ``signum``: the answer's tags."""
    service = command(env, log, "serve", "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{url}/readyz").is_success or None, 180, "service", log)
        answer = httpx.post(f"{url}/recommend", json={"items": [{"product_id": "P0001"}]})
        assert answer.status_code == 200, answer.text
        stop_by_signal(service, signum, port)
    finally:
        stop_process(service)
    versions = answer.json()["items"][0]["model_version"]
    return {kind: versions[kind] for kind in SERVED}


def prod(decision: Mapping[str, dict[str, str]]) -> dict[str, str]:
    return {kind: decision["prod_after"][kind] for kind in SERVED}


def test_serving_follows_prod_through_retrain_promote_and_rollback(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    env = operator_env(home)
    port = free_port()
    cli(env, "data", "generate", "--products", "4", "--days", "120", "--seed", "1")
    cli(env, "features", "build")
    cli(env, "store", "apply")
    cli(env, "store", "materialize")
    cli(env, "train", "--quick")
    cli(env, "build")  # the README's path: train -> build -> serve
    first = prod(cli_json(env, "promote"))  # already prod: names it without scoring
    assert served_versions(env, port, tmp_path / "serve1.log", signal.SIGTERM) == first

    cli(env, "train", "--quick", "--seed", "9")
    promoted = cli_json(env, "promote", "--force")  # prod moves, whatever train decided
    second = prod(promoted)
    assert second["agent"] != first["agent"]
    assert served_versions(env, port, tmp_path / "serve2.log", signal.SIGINT) == second

    rolled_back = prod(cli_json(env, "rollback"))
    assert rolled_back == first
    assert served_versions(env, port, tmp_path / "serve3.log", signal.SIGTERM) == first

    # prod moved behind the command line's back (the pipeline's promote stage, `pricing
    # train`): the bento to serve is rebuilt, saying so.
    for name in ("PRICING_HOME", "BENTOML_HOME"):  # the build imports the service here
        monkeypatch.setenv(name, env[name])
    get_settings.cache_clear()
    settings = get_settings()
    set_prod(settings, promoted["prod_after"], [])
    capsys.readouterr()
    assert pinned_tags(settings, prod_bento(settings)) == second
    assert "building a bento of prod first" in capsys.readouterr().out
