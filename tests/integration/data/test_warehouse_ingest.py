"""``pricing data ingest postgresql://...`` against a real PostgreSQL: the same home as the same
rows from a CSV, global row numbers in errors, nothing stored on a rejected read, and a large
table streamed in bounded chunks."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from pricing.cli import app
from pricing.data.home import HomeData
from pricing.data.ingest import ingest_file
from pricing.data.loaders import read_raw
from pricing.data.warehouse import WarehouseSource, masked_url, read_chunks
from pricing.processes import free_port
from tests.services import postgres_url

pytestmark = pytest.mark.integration

SEED = ["Product_ID", "Date", "Sales", "Price", "Competitor_Price", "Inventory"]
SEED_TYPES = (
    'id serial, "Product_ID" text, "Date" date, "Sales" integer, "Price" numeric(10, 2), '
    '"Competitor_Price" numeric(10, 2), "Inventory" integer'
)
Row = tuple[str, date | None, int, Decimal, Decimal | None, int | None]


@pytest.fixture(scope="module")
def pg_url() -> str:
    """The machine's PostgreSQL (or PRICING_TEST_POSTGRES_URL); fails saying what is missing."""
    return postgres_url()


@pytest.fixture
def create_table(pg_url: str) -> Iterator[Callable[[str], str]]:
    """``create_table(definition)`` makes a uniquely named table; all are dropped after."""
    made: list[str] = []

    def create(definition: str) -> str:
        name = f"pricing_test_{uuid.uuid4().hex[:10]}"
        made.append(name)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL(f"CREATE TABLE {{}} {definition}").format(sql.Identifier(name)))
        return name

    yield create
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))


def seed_rows() -> list[Row]:
    """4 products x 100 days of seed-format rows; p3 skips every tenth day; some NULLs."""
    rows: list[Row] = []
    for product in range(4):
        for day in range(100):
            if product == 3 and day % 10 == 4:
                continue
            n = product * 100 + day
            rows.append(
                (
                    f"p{product}",
                    date(2024, 1, 1) + timedelta(days=day),
                    n * 7 % 23,
                    Decimal("2.50") + product + Decimal(day % 5) / 10,
                    None if n % 9 == 0 else Decimal("2.45") + product,
                    None if n % 11 == 0 else n * 3 % 40,
                )
            )
    return rows


def insert(pg_url: str, table: str, rows: list[Row]) -> None:
    with psycopg.connect(pg_url) as conn, conn.cursor() as cursor:
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, SEED))
        )
        with cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)


def seed_csv(tmp_path: Path, rows: list[Row]) -> Path:
    path = tmp_path / "seed.csv"
    pd.DataFrame(rows, columns=SEED, dtype=object).to_csv(path, index=False)  # NULL: empty
    return path


def _invoke(*args: str):
    return CliRunner().invoke(app, ["data", "ingest", *args])


def _home(tmp_path: Path) -> HomeData:
    return HomeData(tmp_path / "home" / "data")  # PRICING_HOME, set by the shared conftest


def _snapshot(home: HomeData) -> dict[str, bytes]:
    return {
        str(p.relative_to(home.data_dir.parent)): p.read_bytes()
        for p in sorted(home.data_dir.parent.rglob("*"))
        if p.is_file()
    }


def test_reader_chunks_are_text_shaped_like_a_csv(
    pg_url: str, create_table: Callable[[str], str], tmp_path: Path
) -> None:
    rows = seed_rows()
    table = create_table(f"({SEED_TYPES})")
    insert(pg_url, table, rows)
    columns = ", ".join(f'"{column}"' for column in SEED)
    query = f'SELECT {columns} FROM "{table}" ORDER BY id'
    chunks = list(read_chunks(WarehouseSource(pg_url, query=query), chunk_rows=50))
    assert [len(chunk) for chunk in chunks] == [50] * 7 + [len(rows) - 350]
    pd.testing.assert_frame_equal(
        pd.concat(chunks, ignore_index=True), read_raw(seed_csv(tmp_path, rows))
    )


def test_table_ingest_builds_the_home_a_csv_of_the_same_rows_does(
    pg_url: str, create_table: Callable[[str], str], tmp_path: Path
) -> None:
    rows = seed_rows()
    table = create_table(f"({SEED_TYPES})")
    insert(pg_url, table, rows)
    result = _invoke(pg_url, "--table", f"public.{table}", "--chunk-rows", "50", "--json")
    assert result.exit_code == 0, result.output

    from_csv = HomeData(tmp_path / "csv" / "data")
    expected = ingest_file(from_csv, seed_csv(tmp_path, rows)).as_dict()
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected
    home = _home(tmp_path)
    for name in ("sales", "inventory", "competitor_prices", "products"):
        pd.testing.assert_frame_equal(
            home.read(name).drop(columns="ingested_timestamp", errors="ignore"),
            from_csv.read(name).drop(columns="ingested_timestamp", errors="ignore"),
        )
    assert home.meta()["sources"] == [
        {"source": f"{masked_url(pg_url)} table public.{table}", "rows": len(rows)}
    ]


def test_query_with_where_and_map(
    pg_url: str, create_table: Callable[[str], str], tmp_path: Path
) -> None:
    table = create_table(f"({SEED_TYPES})")
    insert(pg_url, table, seed_rows())
    query = (
        f'SELECT \'north\' AS region, "Product_ID" AS sku, "Date" AS day, "Sales" AS qty, '
        f'"Price" AS shelf FROM "{table}" WHERE "Product_ID" LIKE \'p%\' AND "Product_ID" <> '
        "'p3' ORDER BY id;"
    )
    result = _invoke(
        pg_url,
        "--query",
        query,
        "--chunk-rows",
        "64",
        *("--map", "product_id=region+sku", "--map", "date=day"),
        *("--map", "units=qty", "--map", "price=shelf", "--json"),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["rows"], summary["products"], summary["freq"]) == (300, 3, "daily")
    home = _home(tmp_path)
    assert home.read("products")["product_id"].tolist() == ["north:p0", "north:p1", "north:p2"]
    sales = home.read("sales").set_index(["product_id", "date"])
    first = sales.loc[("north:p1", pd.Timestamp("2024-01-03", tz="UTC"))]
    assert (first["units_sold"], first["price"]) == (102 * 7 % 23, 3.7)
    assert home.read("inventory").empty
    assert home.meta()["sources"][0]["source"] == f"{masked_url(pg_url)} query"


def test_bad_cells_in_late_chunks_name_global_rows_and_store_nothing(
    pg_url: str, create_table: Callable[[str], str], tmp_path: Path
) -> None:
    good = create_table(f"({SEED_TYPES})")
    insert(pg_url, good, seed_rows()[:40])
    assert _invoke(pg_url, "--table", good).exit_code == 0
    home = _home(tmp_path)
    before = _snapshot(home)

    rows = seed_rows()
    rows[337] = (*rows[337][:3], Decimal("-1.00"), *rows[337][4:])
    rows[371] = (rows[371][0], None, *rows[371][2:])
    rows[289] = (rows[4][0], rows[4][1], *rows[289][2:])  # the key of row 5, in chunk 6
    bad = create_table(f"({SEED_TYPES})")
    insert(pg_url, bad, rows)
    result = _invoke(pg_url, "--query", f'SELECT * FROM "{bad}" ORDER BY id', "--chunk-rows", "50")
    assert result.exit_code == 2, result.output
    assert f"{masked_url(pg_url)} query: rejected, 3 problem(s)" in result.stderr
    assert "row 338, column 'price' (value '-1.00'): must be positive" in result.stderr
    assert "row 372, column 'date' (value ''): unparsable date" in result.stderr
    assert (
        "row 290, column 'date' (value '2024-01-05'): duplicate key (product_id, location_id, "
        "date), as row 5"
    ) in result.stderr
    assert _snapshot(home) == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--table", "no_such_table_x"], 'table no_such_table_x: relation "no_such_table_x" does'),
        (["--table", "nope.sales"], 'table nope.sales: relation "nope.sales" does not exist'),
        (["--query", "SELEC 1"], 'query: syntax error at or near "SELEC"'),
        (["--query", "SELECT nextval('{table}_id_seq')"], "in a read-only transaction"),
        (["--query", "SELECT 1 AS a, 2 AS a"], "column(s) 'a' appear more than once"),
    ],
)
def test_database_errors_are_one_clear_line(
    pg_url: str, create_table: Callable[[str], str], args: list[str], expected: str
) -> None:
    table = create_table(f"({SEED_TYPES})")
    result = _invoke(pg_url, *[arg.format(table=table) for arg in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {masked_url(pg_url)} ")
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_server_and_missing_database_hide_the_password(pg_url: str) -> None:
    closed = f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/test"
    result = _invoke(closed, "--table", "sales")
    assert result.exit_code == 2
    assert f"postgresql://postgres:***@127.0.0.1:{closed.rsplit(':', 1)[1]} table sales: " in (
        result.stderr
    )
    assert "cannot connect" in result.stderr and "s3cret" not in result.output
    database = f"pricing_nodb_{uuid.uuid4().hex[:8]}"
    missing = pg_url.rsplit("/", 1)[0] + f"/{database}"
    result = _invoke(missing, "--table", "sales")
    assert result.exit_code == 2
    assert f'database "{database}" does not exist' in result.stderr


#: Reads (``read``) or reads and validates (``validate``) a table in a fresh process. Peak
#: memory is the kernel's VmHWM, which starts afresh at exec (ru_maxrss would be the parent's).
MEASURE = """
import json, re, sys, time
from pricing.data.chunks import validate_chunks
from pricing.data.warehouse import WarehouseSource, read_chunks

def peak_mb():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) / 1024

url, table, chunk_rows, stage = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
source = WarehouseSource(url, table=table)
before = peak_mb()
started = time.perf_counter()
rows = largest = held = 0
chunks = read_chunks(source, chunk_rows)
for chunk in chunks if stage == "read" else validate_chunks(chunks, [], source.label):
    rows += len(chunk)
    largest = max(largest, len(chunk))
    held += int(chunk.memory_usage(deep=True).sum())
seconds = time.perf_counter() - started
print(json.dumps({
    "rows": rows, "largest_chunk": largest, "rows_per_s": round(rows / seconds),
    "peak_rss_growth_mb": round(peak_mb() - before, 1), "whole_result_mb": round(held / 2**20, 1),
}))
"""


def _measure(pg_url: str, table: str, chunk_rows: int, stage: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, pg_url, table, str(chunk_rows), stage],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_large_table_streams_in_bounded_chunks(
    pg_url: str, create_table: Callable[[str], str]
) -> None:
    table = create_table(
        "AS SELECT 'p' || (i % 200) AS \"Product_ID\", DATE '2020-01-01' + i / 200 AS \"Date\", "
        '(i % 13)::int AS "Sales", (1.50 + i % 7)::numeric(10, 2) AS "Price", '
        '(1.45 + i % 5)::numeric(10, 2) AS "Competitor_Price", (100 + i % 50)::int AS '
        '"Inventory" FROM generate_series(0, 199999) AS i'
    )
    read = _measure(pg_url, table, 10_000, "read")
    validated = _measure(pg_url, table, 10_000, "validate")
    print({"read": read, "validate": validated})  # shown with -s: the figures in the README
    assert (read["rows"], read["largest_chunk"]) == (200_000, 10_000)
    assert (validated["rows"], validated["largest_chunk"]) == (200_000, 10_000)
    # Holding the whole result at once would take whole_result_mb; the reader peaks far lower.
    assert read["peak_rss_growth_mb"] < read["whole_result_mb"] / 2, read
    assert validated["peak_rss_growth_mb"] < read["whole_result_mb"], validated
