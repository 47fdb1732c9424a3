"""Database inputs without a database: URL checks, password masking, the SQL sent, the CLI's
argument rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg import postgres
from psycopg.pq import Format
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.warehouse import (
    DEFAULT_CHUNK_ROWS,
    WarehouseError,
    WarehouseSource,
    is_database_url,
    masked_url,
    text_adapters,
)

URL = "postgresql://shop@db.internal:5433/retail"
TEXT = Format.TEXT


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("postgresql://u@h/db", True),
        ("postgres://u@h/db", True),
        ("POSTGRESQL://u@h/db", True),
        ("mysql://u@h/db", False),
        ("s3://bucket/sales.csv", False),
        ("sales.csv", False),
        ("postgresql.csv", False),
    ],
)
def test_is_database_url(path: str, expected: bool) -> None:
    assert is_database_url(path) is expected


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://shop:s3cret@h:5432/db", "postgresql://shop:***@h:5432/db"),
        ("postgresql://shop:p%40ss@h/db", "postgresql://shop:***@h/db"),
        ("postgresql://:s3cret@h/db", "postgresql://:***@h/db"),
        (
            "postgres://shop@h/db?sslmode=require&password=s3cret",
            "postgres://shop@h/db?sslmode=require&password=***",
        ),
        (URL, URL),
    ],
)
def test_masked_url_hides_the_password(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_table_statement_quotes_identifiers() -> None:
    plain = WarehouseSource(URL, table="sales").statement().as_string(None)
    assert plain == 'SELECT * FROM "sales"'
    qualified = WarehouseSource(URL, table="Shop.Daily Sales").statement().as_string(None)
    assert qualified == 'SELECT * FROM "Shop"."Daily Sales"'
    hostile = WarehouseSource(URL, table='x"; DROP TABLE y; --').statement().as_string(None)
    assert hostile == 'SELECT * FROM "x""; DROP TABLE y; --"'


def test_query_is_sent_as_given_less_a_trailing_semicolon() -> None:
    source = WarehouseSource(URL, query="  SELECT * FROM s WHERE sku LIKE 'a%' ;\n")
    assert source.statement().as_string(None) == "SELECT * FROM s WHERE sku LIKE 'a%'"


def test_label_names_the_source_without_the_password() -> None:
    secret = "postgresql://shop:s3cret@h:5432/db"
    assert WarehouseSource(secret, table="public.sales").label == (
        "postgresql://shop:***@h:5432/db table public.sales"
    )
    assert (
        WarehouseSource(secret, query="SELECT 1").label == "postgresql://shop:***@h:5432/db query"
    )


@pytest.mark.parametrize(
    ("url", "table", "query", "expected"),
    [
        ("mysql://u@h/db", "t", None, "mysql://u@h/db: not a database URL"),
        ("postgresql://u:pw@h/db?bogus=1", "t", None, "postgresql://u:***@h/db?bogus=1: malformed"),
        (URL, None, None, "give exactly one of --table or --query"),
        (URL, "t", "SELECT 1", "give exactly one of --table or --query"),
        (URL, "a.b.c", None, "--table 'a.b.c': expected TABLE or SCHEMA.TABLE"),
        (URL, "public.", None, "--table 'public.': expected TABLE or SCHEMA.TABLE"),
        (URL, None, " ; ", "--query is empty"),
    ],
)
def test_bad_sources_are_clear_errors(
    url: str, table: str | None, query: str | None, expected: str
) -> None:
    with pytest.raises(WarehouseError) as caught:
        WarehouseSource(url, table=table, query=query)
    assert expected in str(caught.value)
    assert "pw" not in str(caught.value).replace(masked_url(url), "")


def test_every_type_loads_as_text_and_booleans_as_words() -> None:
    adapters = text_adapters()
    for name in ("date", "numeric", "int4", "float8", "timestamptz", "text"):
        loader = adapters.get_loader(postgres.types[name].oid, TEXT)
        assert loader is not None and loader.__name__ == "TextLoader", name
    load_bool = adapters.get_loader(postgres.types["bool"].oid, TEXT)
    assert load_bool is not None
    assert [load_bool(16).load(b) for b in (b"t", b"f")] == ["true", "false"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sales.csv", "--table", "t"], "give a postgresql:// URL"),
        (["sales.csv", "--chunk-rows", "10"], "give a postgresql:// URL"),
        (["--dataset", "oj", "--query", "SELECT 1"], "give a postgresql:// URL"),
        (["mysql://u@h/db", "--table", "t"], "give a postgresql:// URL"),
        ([URL], "give exactly one of --table or --query"),
        ([URL, "--table", "t", "--query", "SELECT 1"], "give exactly one of --table or --query"),
        ([URL, "--table", "t", "--chunk-rows", "0"], "Invalid value for '--chunk-rows'"),
    ],
)
def test_cli_argument_errors_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    result = CliRunner().invoke(app, ["data", "ingest", *args])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr


def test_cli_help_states_the_default_chunk_size() -> None:
    result = CliRunner().invoke(app, ["data", "ingest", "--help"], env={"COLUMNS": "300"})
    assert f"(default {DEFAULT_CHUNK_ROWS})" in result.output
