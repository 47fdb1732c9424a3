"""Read sales from PostgreSQL (``pricing data ingest postgresql://... --table T | --query Q``).

A server-side cursor streams the result in bounded chunks, so a table larger than memory passes
through. Every value is fetched as PostgreSQL's own text (what a CSV export holds), so validation
names the exact failing cell, as for files. Passwords never appear in messages or in the home.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg
from psycopg import postgres, sql
from psycopg.adapt import AdaptersMap, Buffer, Loader
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.string import TextLoader

from pricing.data.chunks import validate_chunks
from pricing.data.home import HomeData
from pricing.data.ingest import IngestSummary, store_row_chunks
from pricing.data.loaders import LoadError

SCHEMES = ("postgresql", "postgres")
#: Rows per FETCH: ~2 kB of transient memory per row of 6 columns, no faster when larger.
DEFAULT_CHUNK_ROWS = 20_000
#: Seconds to wait for the server unless the URL sets ``connect_timeout`` itself.
CONNECT_TIMEOUT_S = 10
CURSOR_NAME = "pricing_ingest"
MASK = "***"


class WarehouseError(LoadError):
    """The database cannot be read: bad URL, server unreachable, missing table, bad SQL."""


def is_database_url(path: str) -> bool:
    scheme, sep, _ = path.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def masked_url(url: str) -> str:
    """The URL with its password (``user:PASSWORD@`` or ``?password=``) shown as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hosts = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:{MASK}@{hosts}"
    query = "&".join(
        f"password={MASK}" if item.partition("=")[0] == "password" else item
        for item in parts.query.split("&")
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def one_line(error: Exception) -> str:
    """A driver error as one line: the server's own message, or libpq's, whitespace folded."""
    diag = getattr(error, "diag", None)
    primary = diag.message_primary if diag is not None else None
    return " ".join((primary or str(error)).split())


@dataclass(frozen=True)
class WarehouseSource:
    """Rows to ingest: a database URL and either a table (``schema.table``) or a SELECT."""

    url: str
    table: str | None = None
    query: str | None = None

    def __post_init__(self) -> None:
        shown = masked_url(self.url)
        if not is_database_url(self.url):
            raise WarehouseError(
                f"{shown}: not a database URL; expected postgresql://USER@HOST:PORT/DB"
            )
        try:
            conninfo_to_dict(self.url)
        except psycopg.Error as error:
            raise WarehouseError(f"{shown}: malformed URL ({one_line(error)})") from None
        if (self.table is None) == (self.query is None):
            raise WarehouseError(f"{shown}: give exactly one of --table or --query")
        if self.table is not None:
            self.table_parts()
        elif not self.select_text():
            raise WarehouseError(f"{shown}: --query is empty")

    def table_parts(self) -> tuple[str, ...]:
        """``table`` or ``schema.table``; names are taken verbatim (quoted, case-sensitive)."""
        parts = tuple(str(self.table).split("."))
        if len(parts) > 2 or not all(part.strip() for part in parts):
            raise WarehouseError(f"--table {self.table!r}: expected TABLE or SCHEMA.TABLE")
        return parts

    def select_text(self) -> str:
        """The query without trailing ``;``: it is wrapped in a cursor declaration."""
        return str(self.query).strip().rstrip(";").strip()

    @property
    def label(self) -> str:
        """How messages and the home's ``sources`` name this input (password masked)."""
        what = f"table {self.table}" if self.table is not None else "query"
        return f"{masked_url(self.url)} {what}"

    def statement(self) -> sql.SQL | sql.Composed:
        if self.table is not None:
            return sql.SQL("SELECT * FROM {}").format(sql.Identifier(*self.table_parts()))
        return sql.SQL(self.select_text())  # the user's own SQL, as given


class _BoolText(Loader):
    """Booleans as ``true``/``false``, the words validation reads (PostgreSQL prints t/f)."""

    def load(self, data: Buffer) -> str:
        return "true" if bytes(data) == b"t" else "false"


def text_adapters() -> AdaptersMap:
    """Adapters that load every column type as its text (dumpers kept for the cursor's FETCH)."""
    adapters = AdaptersMap(postgres.adapters)
    for info in postgres.types:
        for oid in (info.oid, info.array_oid):
            if oid:
                adapters.register_loader(oid, TextLoader)
    adapters.register_loader(postgres.types["bool"].oid, _BoolText)
    return adapters


def _connect(source: WarehouseSource) -> psycopg.Connection:
    params = {"connect_timeout": CONNECT_TIMEOUT_S, **conninfo_to_dict(source.url)}
    try:
        conn = psycopg.connect(make_conninfo("", **params), context=text_adapters())
    except psycopg.Error as error:
        raise WarehouseError(f"{source.label}: cannot connect ({one_line(error)})") from error
    conn.read_only = True  # --query runs as given: it may read, never write
    return conn


def read_chunks(
    source: WarehouseSource, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Stream the result as frames of at most ``chunk_rows`` rows shaped like ``read_raw``'s:
    original column names, every value text, NULL as ``""`` (as in a CSV)."""
    if chunk_rows < 1:
        raise WarehouseError(f"--chunk-rows {chunk_rows}: must be at least 1")
    with _connect(source) as conn:
        try:
            conn.execute("SET DateStyle TO ISO")  # 2024-01-31, whatever the server's default
            with conn.cursor(name=CURSOR_NAME) as cursor:
                cursor.execute(source.statement())
                columns = [column.name for column in cursor.description or ()]
                repeated = sorted({c for c in columns if columns.count(c) > 1})
                if repeated:
                    raise WarehouseError(
                        f"{source.label}: column(s) {', '.join(map(repr, repeated))} appear "
                        "more than once; give each a distinct name (AS ...)"
                    )
                while True:  # the fetched tuples are dropped before the frame is handed on
                    chunk = pd.DataFrame(
                        cursor.fetchmany(chunk_rows), columns=columns, dtype=object
                    )
                    if chunk.empty:
                        break
                    yield chunk.fillna("")
        except psycopg.Error as error:
            raise WarehouseError(f"{source.label}: {one_line(error)}") from error


def _counted(
    chunks: Iterable[pd.DataFrame], progress: Callable[[int], None]
) -> Iterator[pd.DataFrame]:
    read = 0
    for chunk in chunks:
        read += len(chunk)
        progress(read)
        yield chunk


def ingest_database(
    home: HomeData,
    source: WarehouseSource,
    map_specs: Sequence[str] = (),
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Validate every chunk, then store; a bad cell anywhere leaves the home untouched.

    ``progress`` is told the number of rows read so far after each chunk.
    """
    raw = read_chunks(source, chunk_rows)
    if progress is not None:
        raw = _counted(raw, progress)
    return store_row_chunks(home, validate_chunks(raw, map_specs, source.label), source.label)
