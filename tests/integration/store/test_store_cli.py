"""`pricing store online` and `pricing snapshot show` answer unknown ids with a message and a
non-zero exit, never a table of dashes or a traceback; features print in one fixed order."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.schemas import KEY
from pricing.data.synthetic import generate_into_home
from pricing.features.build import build_features
from pricing.settings import Settings, get_settings
from pricing.store import ops

pytestmark = pytest.mark.integration


@pytest.fixture
def home(make_settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A tiny home, features applied but not yet materialized; the CLI's environment on it."""
    settings = make_settings("cli")
    generate_into_home(settings, products=3, days=60, seed=1)
    build_features(settings)
    ops.apply(settings)
    monkeypatch.setenv("PRICING_HOME", str(settings.home_dir))
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def assert_user_error(result, *named: str) -> None:
    """Exit 1 with a one-line message naming ``named``, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    assert message.startswith("error:") and len(message.splitlines()) == 1, message
    for name in named:
        assert name in message, (name, message)


def test_store_online_prints_features_in_catalogue_order(home: Settings) -> None:
    ops.materialize(home)
    first = run("store", "online", "P0002", "P0001", "--json")
    assert first.exit_code == 0, first.output
    records = json.loads(first.stdout.strip().splitlines()[-1])["features"]
    assert [r["product_id"] for r in records] == ["P0002", "P0001"]
    expected = [*KEY, *(name for name in ops.feature_order() if name in records[0])]
    assert list(records[0]) == expected
    assert len(expected) > len(KEY) + 10 and records[0]["last_price"] > 0
    table_rows = [line.split()[1] for line in first.stdout.splitlines() if line.startswith("│")]
    assert table_rows == expected[len(KEY) :]  # the printed table, row by row
    assert run("store", "online", "P0002", "P0001", "--json").stdout == first.stdout


def test_store_online_of_an_unknown_product_names_it(home: Settings) -> None:
    ops.materialize(home)
    assert_user_error(run("store", "online", "P0001", "NOPE-7"), "unknown product NOPE-7")


def test_store_online_at_an_unknown_location_names_it(home: Settings) -> None:
    ops.materialize(home)
    assert_user_error(run("store", "online", "P0001", "--location", "mars"), "mars")


def test_store_online_without_any_feature_online_says_what_loads_them(home: Settings) -> None:
    result = run("store", "online", "P0001", "P0003")
    assert_user_error(result, "P0001, P0003", "pricing store materialize")


def test_snapshot_show_of_an_unknown_id_is_one_line(home: Settings) -> None:
    assert_user_error(run("snapshot", "show", "snap_000000000000"), "snap_000000000000")
