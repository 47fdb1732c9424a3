"""Materialization benchmark: feature rows per second `pricing store materialize` loads into
Redis, next to bare pipelined HSETs of the same rows measured in the same run, and the online
memory one entity (a product at a location) takes, which sizes the online store.

Each size runs in a scratch home of its own (its own Feast project, so Redis keys of its own,
deleted afterwards) holding every view `pricing store materialize` loads once models are
trained (the batch views and the model outputs), N rows each: one row per series, inside the
views' window, so every row is its entity's latest and is written. Rows written = N x views,
entities = N. The realtime view is written by pushes, never materialized: neither the rate nor
the memory counts it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pricing.settings import Settings

if TYPE_CHECKING:
    from redis import Redis

    from pricing.evaluation.redis_writes import HashRow

DEFAULT_ROWS = (10_000, 100_000)
#: Entities are products x this many locations: the stores of the sizing table.
LOCATIONS = 500
SIZING_PRODUCTS = (10_000, 100_000, 1_000_000)
#: The scratch homes' clock and grain; every row is stamped one period before the clock.
AS_OF, GRAIN = pd.Timestamp("2024-06-30", tz="UTC"), "daily"
#: Online keys whose MEMORY USAGE is read and whose rows the bare Redis writes repeat.
SAMPLED_KEYS, REDIS_PIPELINE = 1_000, 1_000
#: A size this small runs first, unreported, so imports, DuckDB and the registry are warm.
WARM_ROWS = 100


def feature_tables(
    rows: int,
    views: Mapping[str, Sequence[str]],
    strings: Collection[str],
    as_of: pd.Timestamp,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Per view, ``rows`` rows shaped like its feature file: one per series (products x
    ``LOCATIONS``), stamped a day before ``as_of``; random floats, a model tag in ``strings``."""
    rng = np.random.default_rng(seed)
    index = np.arange(rows)
    stamp = pd.Series(as_of - pd.Timedelta(days=1), index=index).astype("datetime64[us, UTC]")
    keys = {
        "product_id": [f"P{i:07d}" for i in index // LOCATIONS],
        "location_id": [f"L{i:03d}" for i in index % LOCATIONS],
        "event_timestamp": stamp,
        "created_timestamp": stamp,
    }
    tables = {}
    for view, fields in views.items():
        columns: dict[str, Any] = {f: rng.random(rows) * 100 for f in fields if f not in strings}
        # a BentoML tag, as long as a real one (name:16-character version)
        columns |= {f: f"pricing-{view}:{rng.bytes(8).hex()}" for f in fields if f in strings}
        tables[view] = pd.DataFrame(keys | columns)
    return tables


def cycled(rows: Sequence[HashRow], count: int) -> list[HashRow]:
    """``count`` rows going round ``rows``, each under a key of its own (``i:`` + its key)."""
    return [(b"%d:" % i + key, mapping) for i, (key, mapping) in zip(range(count), cycle(rows))]


def sizing(bytes_per_entity: float, products: Sequence[int], stores: int) -> list[dict[str, Any]]:
    """Online memory of each count of ``products`` x ``stores`` entities at that size."""
    return [
        {
            "products": p,
            "stores": stores,
            "entities": p * stores,
            "gib": round(bytes_per_entity * p * stores / 2**30, 2),
        }
        for p in products
    ]


def materialized_views() -> dict[str, list[str]]:
    """Every view materialization loads once models are trained, with its fields (a model
    view's tag last, as registered)."""
    from pricing.store.definitions import FEATURES, MODEL_FEATURES, MODEL_TAG_FIELD

    views = {view: list(fields) for view, fields in {**FEATURES, **MODEL_FEATURES}.items()}
    for view, tag in MODEL_TAG_FIELD.items():
        views[view].append(tag)
    return views


def bench_home(settings: Settings, home: Path) -> Settings:
    """A scratch home on the Redis the benchmarks load into (the home's online store if it is
    Redis, else PRICING_REDIS_URL), its clock at ``AS_OF``."""
    from pricing.store.backends import RedisOnlineStore

    url = getattr(settings.online_store, "url", None) or settings.redis_url
    return settings.for_home(home).model_copy(
        update={"online_store": RedisOnlineStore(url=url), "as_of": AS_OF.isoformat()}
    )


def prepare(bench: Settings, rows: int, seed: int) -> None:
    """Write the feature files, then register the definitions as `pricing store apply` does
    (``ops.apply`` wants a home with canonical data, which a scratch home has no use for)."""
    from pricing.data.home import write_parquet_atomic
    from pricing.store.config import open_store
    from pricing.store.definitions import MODEL_TAG_FIELD, build_definitions
    from pricing.store.ops import ensure_realtime_log

    strings = set(MODEL_TAG_FIELD.values())
    for view, frame in feature_tables(rows, materialized_views(), strings, AS_OF, seed).items():
        write_parquet_atomic(frame, bench.features_dir / f"{view}.parquet")
    ensure_realtime_log(bench)
    open_store(bench).apply(build_definitions(bench, GRAIN, with_models=True).objects())


def view_rows(client: Redis, keys: Sequence[bytes]) -> list[HashRow]:
    """Feast's writes behind the hashes of ``keys``: one per entity and view (the view's
    timestamp and features) under the entity's key."""
    from feast.infra.online_stores.helpers import _mmh3

    owner: dict[bytes, str] = {}
    for view, fields in materialized_views().items():
        owner |= {_mmh3(f"{view}:{f}"): view for f in fields} | {f"_ts:{view}".encode(): view}
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hgetall(key)  # type: ignore[arg-type]  # Feast's keys are bytes
        hashes = pipe.execute()
    rows: list[HashRow] = []
    for key, fields in zip(keys, hashes, strict=True):
        split: dict[str, dict[bytes | str, bytes]] = {}
        for field, value in fields.items():
            split.setdefault(owner[field], {})[field] = value
        rows += [(key, mapping) for mapping in split.values()]
    return rows


def used_memory(client: Redis) -> int:
    """Redis' ``used_memory`` (bytes): the whole server's, others' keys included."""
    info = client.info("memory")
    assert isinstance(info, dict)  # a synchronous client's answer
    return int(info["used_memory"])


def measure(settings: Settings, rows: int, seed: int = 0) -> dict[str, Any]:
    """One size in a scratch home: time `pricing store materialize` into Redis, read the
    memory its keys take, then time bare HSETs of as many rows; its keys deleted after."""
    import redis

    from pricing.evaluation.redis_writes import delete_matching, hset_rate
    from pricing.store.ops import materialize

    with tempfile.TemporaryDirectory(prefix="pricing-materialize-") as scratch:
        bench = bench_home(settings, Path(scratch) / "home")
        url = bench.online_store.url  # type: ignore[union-attr]  # Redis, set by bench_home
        pattern = b"*" + bench.feast_project.encode()  # Feast's keys end with the project
        client = redis.Redis.from_url(url)
        try:
            prepare(bench, rows, seed)
            before = used_memory(client)
            started = time.perf_counter()
            loaded = materialize(bench)
            seconds = time.perf_counter() - started
            used = used_memory(client) - before
            keys = list(client.scan_iter(match=pattern, count=1000))
            sample = keys[:SAMPLED_KEYS]
            with client.pipeline(transaction=False) as pipe:
                for key in sample:
                    pipe.memory_usage(key, samples=0)
                sizes = pipe.execute()
            written = rows * len(loaded.views)
            redis_rate = hset_rate(
                url, cycled(view_rows(client, sample), written), REDIS_PIPELINE, "materialize"
            )
        finally:
            delete_matching(client, pattern)
            client.close()
    rate = written / seconds
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rate, 1),
        "redis_rows_per_s": round(redis_rate, 1),
        "ratio": round(rate / redis_rate, 4),
        "bytes_per_entity": round(float(np.mean(sizes)), 1),
        "entities_per_s": round(rows / seconds, 1),
        "rows_written": written,
        "views": loaded.views,
        "entities_online": len(keys),
        "feast_project": bench.feast_project,
        "used_memory_per_entity": round(used / rows, 1),
    }


def materialize_bench(
    settings: Settings,
    sizes: Sequence[int] = DEFAULT_ROWS,
    seed: int = 0,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every size, after an unreported warm-up; the figures, and the sizing at the largest."""
    say = say or (lambda _: None)
    say(f"warming up on {WARM_ROWS} rows per view")
    measure(settings, WARM_ROWS, seed)
    results = []
    for rows in sizes:
        say(f"{rows:,} rows per view: `pricing store materialize`, then bare Redis HSETs")
        results.append(measure(settings, rows, seed))
    largest = max(results, key=lambda r: r["rows"])
    return {
        "results": results,
        "sizing": sizing(largest["bytes_per_entity"], SIZING_PRODUCTS, LOCATIONS),
        "sampled_keys": SAMPLED_KEYS,
        "redis_pipeline": REDIS_PIPELINE,
    }


def plot_materialize(results: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Rows per second against rows, for Feast's materialization and bare Redis (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r["rows"] for r in results]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(rows, [r["rows_per_s"] for r in results], "o-", label="pricing store materialize")
    ax.plot(rows, [r["redis_rows_per_s"] for r in results], "s--", label="bare Redis HSET")
    for r in results:
        ax.annotate(f" {r['ratio']:.1%}", (r["rows"], r["rows_per_s"]), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows per feature view (entities)")
    ax.set_ylabel("feature rows written per second")
    ax.set_title("Materialization into Redis (label: Feast / bare Redis)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
