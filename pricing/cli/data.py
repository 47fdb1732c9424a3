"""``pricing data``: generate a synthetic market, ingest files or built-in data sets, list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, friendly_errors, settings
from pricing.data.inputs import CANONICAL_INPUTS

if TYPE_CHECKING:
    from pricing.data.home import HomeData
    from pricing.data.ingest import IngestSummary

app = typer.Typer(help="Canonical data: generate, ingest, list products.", no_args_is_help=True)


@app.command()
@friendly_errors
def generate(
    products: Annotated[int, typer.Option(help="Number of products.", min=1)] = 50,
    days: Annotated[int, typer.Option(help="Days of history.", min=14)] = 730,
    seed: Annotated[int | None, typer.Option(help="Random seed (default PRICING_SEED).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace data already in the home.")] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Synthetic history with KNOWN demand parameters (ground truth written alongside)."""
    from pricing.data.synthetic import generate_into_home

    cfg = settings()
    with console.status(f"generating {products} products x {days} days"):
        files = generate_into_home(
            cfg, products, days, seed if seed is not None else cfg.seed, overwrite
        )
    s = files.summary
    console.print(
        f"generated {s.rows} rows, {s.products} products, {s.freq} {s.start}..{s.end} "
        f"into {cfg.home_dir}\n  seed format: {files.seed_csv}\n  ground truth: {files.truth}"
    )
    if json_out:
        emit_json({**s.as_dict(), "seed_csv": files.seed_csv, "truth": files.truth})


@app.command()
@friendly_errors
def ingest(
    path: Annotated[
        str | None,
        typer.Argument(
            help="CSV/Parquet file, local or s3://, or a database: postgresql://USER@HOST:PORT/DB."
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="CANONICAL=COLUMN[+COLUMN], repeatable; '+' joins columns into one id. "
            f"CANONICAL is one of: {', '.join(CANONICAL_INPUTS)}.",
        ),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Built-in data set: oj | retail_price.")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="Database table to read, TABLE or SCHEMA.TABLE (case-sensitive)."),
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="SELECT to read instead of a table (run read-only).")
    ] = None,
    chunk_rows: Annotated[
        int | None,
        typer.Option(help="Rows fetched per chunk from a database (default 20000).", min=1),
    ] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Validate and add a table to the home; bad rows are all reported and nothing is written.

    A database result streams in --chunk-rows chunks; rows are numbered over the whole result.
    """
    from pricing.data.adapters import DATASETS, ingest_dataset
    from pricing.data.home import HomeData
    from pricing.data.ingest import ingest_file
    from pricing.data.warehouse import is_database_url

    cfg = settings()
    home = HomeData(cfg.data_dir)
    from_database = path is not None and is_database_url(path)
    if not from_database and (table, query, chunk_rows) != (None, None, None):
        fail("--table, --query and --chunk-rows read a database: give a postgresql:// URL", 2)
    if dataset is not None and path is None:
        if dataset not in DATASETS:
            fail(f"unknown --dataset {dataset!r}; expected one of {sorted(DATASETS)}", code=2)
        with console.status(f"loading {dataset}"):
            summary = ingest_dataset(home, dataset)
    elif path is not None and dataset is None and from_database:
        summary = _ingest_database(home, path, table, query, map_ or [], chunk_rows)
    elif path is not None and dataset is None:
        with console.status(f"ingesting {path}"):
            summary = ingest_file(home, path, map_ or [], cfg.s3_endpoint_url)
    else:
        fail("give either a PATH or --dataset (oj | retail_price)", code=2)
    console.print(
        f"ingested {summary.rows} rows: {summary.products} products x {summary.locations} "
        f"locations, {summary.freq}, {summary.start}..{summary.end} into {cfg.home_dir}"
    )
    if json_out:
        emit_json(summary.as_dict())


def _ingest_database(
    home: HomeData,
    url: str,
    table: str | None,
    query: str | None,
    map_specs: list[str],
    chunk_rows: int | None,
) -> IngestSummary:
    from pricing.data.warehouse import DEFAULT_CHUNK_ROWS, WarehouseSource, ingest_database

    source = WarehouseSource(url, table=table, query=query)
    label = escape(source.label)
    with console.status(f"ingesting {label}") as status:
        return ingest_database(
            home,
            source,
            map_specs,
            chunk_rows or DEFAULT_CHUNK_ROWS,
            lambda rows: status.update(f"ingesting {label}: {rows:,} rows read"),
        )


@app.command()
@friendly_errors
def products(
    limit: Annotated[int | None, typer.Option(help="Show at most N products.", min=1)] = None,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """The catalogue: product ids in the home (JSON {"products": [ids...]})."""
    from pricing.data.home import HomeData

    table = HomeData(settings().data_dir).read("products")
    ids = table["product_id"].astype(str).tolist()[:limit]
    for pid in ids:
        console.print(pid)
    if json_out:
        emit_json({"products": ids})
