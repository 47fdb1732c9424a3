"""Feature-engineering benchmark: how time and memory grow with rows, pandas against Spark.

Each size gets a home of its own holding canonical tables of that many sales rows (daily
series of a year, with masked gaps, stock-outs, price changes, promotions, rival and
substitute prices, one stock count per period), written once. Each engine then builds the
features in a process of its own (``pricing features build --engine E --json``), so its peak
memory is its own: the resident memory of that process and everything below it (Spark's JVM
included), sampled while it runs. Seconds are the build's own (reading the canonical tables,
computing, writing the feature tables), without the process's start-up. Both engines' tables
are compared at every size, row for row.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

from pricing.data.home import HomeData
from pricing.data.schemas import KEY
from pricing.processes import tree_rss_mb
from pricing.settings import Settings

#: Periods per series: a year of daily data.
PERIODS = 365
VIEW_KEYS = [*KEY, "event_timestamp"]
SAMPLE_SECONDS = 0.05
TOLERANCE = 1e-9
#: Share of the available memory an engine's predicted peak may take before it is not run.
MEMORY_HEADROOM = 0.9


@dataclass(frozen=True)
class EngineRun:
    engine: str
    rows: int
    seconds: float
    peak_mb: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.rows / self.seconds),
            "peak_mb": round(self.peak_mb, 1),
        }


def bench_tables(rows: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Canonical tables of about ``rows`` sales rows: ``rows / 365`` daily series of a year."""
    rng = np.random.default_rng(seed)
    series = max(1, math.ceil(rows / PERIODS))
    n = series * PERIODS
    product = np.repeat(np.arange(series) // 4, PERIODS)
    location = np.repeat(np.arange(series) % 4, PERIODS)
    day = np.tile(np.arange(PERIODS), series)
    dates = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(day, unit="D")
    base = np.repeat(rng.uniform(1.0, 20.0, series), PERIODS)
    weekly_move = rng.choice([0.9, 1.0, 1.0, 1.0, 1.1], size=(series, PERIODS // 7 + 1))
    price = base * np.repeat(weekly_move, 7, axis=1)[:, :PERIODS].reshape(-1)
    units = rng.poisson(np.repeat(rng.uniform(0.5, 30.0, series), PERIODS)).astype("float64")
    observed = rng.random(n) > 0.02
    stockout = observed & (rng.random(n) < 0.03)
    ids = {"product_id": np.char.add("P", product.astype(str)).astype(object)}
    ids["location_id"] = np.char.add("L", location.astype(str)).astype(object)
    stamps = {
        "date": dates,
        "event_timestamp": dates + pd.Timedelta(days=1),
        "ingested_timestamp": pd.Timestamp("2025-01-02", tz="UTC"),
    }
    masked = np.where(observed, 1.0, np.nan)
    sales = pd.DataFrame(
        {
            **ids,
            **stamps,
            "observed": observed,
            "units_sold": units * masked,
            "price": price * masked,
            "revenue": units * price * masked,
            "promo": np.where(observed, (rng.random(n) < 0.05).astype(float), np.nan),
            "stockout": stockout,
        }
    )
    inventory = pd.DataFrame(
        {
            **ids,
            **stamps,
            "on_hand": np.where(stockout, 0.0, rng.integers(0, 200, n).astype(float)),
            "inbound": rng.integers(0, 50, n).astype(float),
        }
    )
    rival = pd.DataFrame(
        {
            **ids,
            **stamps,
            "competitor_id": "C1",
            "competitor_type": "competitor",
            "price": price * rng.uniform(0.85, 1.15, n),
        }
    )
    # Every 8th series is also priced against an own-brand substitute.
    substitute = rival[np.repeat(np.arange(series) % 8 == 0, PERIODS)].assign(
        competitor_id="S1", competitor_type="substitute"
    )
    products = pd.DataFrame(
        {
            "product_id": pd.unique(ids["product_id"]),
            "category": "bench",
            "base_price": pd.Series(base).groupby(product).median().to_numpy(),
        }
    )
    return {
        "products": products,
        "sales": sales,
        "inventory": inventory,
        "competitor_prices": pd.concat([rival, substitute], ignore_index=True),
    }


def write_home(settings: Settings, rows: int, seed: int) -> int:
    """A home holding the bench tables of ``rows`` rows; returns its sales rows."""
    tables = bench_tables(rows, seed)
    HomeData(settings.data_dir).replace(tables, {"grain": "daily", "sources": ["bench"]})
    return len(tables["sales"])


def write_home_apart(settings: Settings, rows: int, seed: int) -> int:
    """``write_home`` in a process of its own: the tables' memory (gigabytes at tens of
    millions of rows) is returned to the machine before an engine runs."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return int(pool.apply(write_home, (settings, rows, seed)))


def run_engine(settings: Settings, engine: str, rows: int) -> EngineRun:
    """``pricing features build --engine E`` in a process of its own: the build's seconds and
    the process tree's peak resident memory."""
    command = [
        str(Path(sys.executable).with_name("pricing")),
        "features",
        "build",
        "--engine",
        engine,
        "--json",
    ]
    env = {**os.environ, **settings.as_environment()}
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0
    parent = psutil.Process(child.pid)
    while child.poll() is None:
        peak = max(peak, tree_rss_mb(parent))
        time.sleep(SAMPLE_SECONDS)
    out, err = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"features build --engine {engine} failed: {err.decode()[-2000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return EngineRun(engine, rows, float(result["seconds"]), peak)


def tables_equal(left: Path, right: Path, views: Sequence[str]) -> bool:
    """Every view equal row for row (sorted by key), floats to ``TOLERANCE``."""
    for view in views:
        a = pd.read_parquet(left / f"{view}.parquet").sort_values(VIEW_KEYS)
        b = pd.read_parquet(right / f"{view}.parquet").sort_values(VIEW_KEYS)
        try:
            pd.testing.assert_frame_equal(
                a.reset_index(drop=True),
                b[a.columns].reset_index(drop=True),
                check_dtype=False,
                rtol=TOLERANCE,
                atol=TOLERANCE,
            )
        except AssertionError:
            return False
    return True


def growth_exponent(rows: Sequence[int], values: Sequence[float]) -> float | None:
    """Slope of log(value) on log(rows): 1.0 is linear growth, 2.0 quadratic."""
    if len(rows) < 2:
        return None
    slope = np.polyfit(np.log(rows), np.log(values), 1)[0]
    return round(float(slope), 3)


def memory_line(runs: Sequence[EngineRun]) -> tuple[float, float] | None:
    """Peak MB as ``fixed + per_row * rows``, through the two largest runs (the margin that
    matters for the next size); None under two runs."""
    if len(runs) < 2:
        return None
    small, large = sorted(runs, key=lambda run: run.rows)[-2:]
    per_row = (large.peak_mb - small.peak_mb) / (large.rows - small.rows)
    return large.peak_mb - per_row * large.rows, per_row


def features_bench(
    settings: Settings,
    sizes: Sequence[int],
    engines: Sequence[str],
    work: Path,
    seed: int = 0,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Every engine at every size: seconds, rows/s, peak memory; outputs compared.

    An engine whose measured memory line predicts more than this machine's available memory
    at the next size is not run there (it would be killed, and take others with it): the run
    is recorded as skipped, with the prediction.
    """
    runs: list[EngineRun] = []
    skipped: list[dict[str, Any]] = []
    equal = True
    for size in sizes:
        home = settings.for_home(work / f"rows_{size}")
        shutil.rmtree(home.home_dir, ignore_errors=True)
        say(f"{size:,} rows: writing the canonical tables")
        rows = write_home_apart(home, size, seed)
        outputs = {}
        for engine in engines:
            line = memory_line([run for run in runs if run.engine == engine])
            available = psutil.virtual_memory().available / 2**20
            if line is not None and line[0] + line[1] * rows > MEMORY_HEADROOM * available:
                predicted = line[0] + line[1] * rows
                say(f"{rows:,} rows: {engine} skipped, needs ~{predicted:,.0f} MB")
                skipped.append(
                    {
                        "engine": engine,
                        "rows": rows,
                        "predicted_peak_mb": round(predicted),
                        "available_mb": round(available),
                    }
                )
                continue
            say(f"{rows:,} rows: {engine}")
            runs.append(run_engine(home, engine, rows))
            say(f"  {runs[-1].seconds:.1f} s, peak {runs[-1].peak_mb:,.0f} MB")
            outputs[engine] = home.features_dir.with_name(f"features.{engine}")
            shutil.rmtree(outputs[engine], ignore_errors=True)
            home.features_dir.rename(outputs[engine])
        if len(outputs) > 1:
            first, *others = list(outputs.values())
            views = [p.stem for p in sorted(first.glob("*.parquet"))]
            equal = equal and all(tables_equal(first, other, views) for other in others)
        shutil.rmtree(home.home_dir, ignore_errors=True)
    return {**summarize(runs, equal), "skipped": skipped}


def summarize(runs: Sequence[EngineRun], equal: bool) -> dict[str, Any]:
    """The ``--json`` figures: every run, growth per engine, ratios and the memory forecast."""
    total_mb = psutil.virtual_memory().total / 2**20
    growth, memory = {}, {}
    for engine in dict.fromkeys(run.engine for run in runs):
        mine = sorted((run for run in runs if run.engine == engine), key=lambda r: r.rows)
        sizes = [run.rows for run in mine]
        growth[engine] = {
            "time_exponent": growth_exponent(sizes, [run.seconds for run in mine]),
            "time_exponent_largest_two": growth_exponent(
                sizes[-2:], [run.seconds for run in mine[-2:]]
            ),
            "memory_exponent": growth_exponent(sizes, [run.peak_mb for run in mine]),
        }
        line = memory_line(mine)
        if line is not None:
            fixed, per_row = line
            memory[engine] = {
                "mb_per_million_rows": round(per_row * 1e6, 1),
                "fixed_mb": round(fixed, 1),
                "rows_at_machine_memory": int((total_mb - fixed) / per_row)
                if per_row > 0
                else None,
            }
    by_size: dict[int, dict[str, EngineRun]] = {}
    for run in runs:
        by_size.setdefault(run.rows, {})[run.engine] = run
    ratios = [
        {"rows": rows, "spark_over_pandas": _ratio(pair)}
        for rows, pair in sorted(by_size.items())
        if {"spark", "pandas"} <= set(pair)
    ]
    return {
        "results": [run.as_dict() for run in runs],
        "equal": equal,
        "growth": growth,
        "memory": memory,
        "ratios": ratios,
        "machine": {"cpus": os.cpu_count(), "memory_mb": round(total_mb)},
    }


def _ratio(pair: dict[str, EngineRun]) -> float:
    return round(pair["spark"].seconds / pair["pandas"].seconds, 2)


def plot_features(figures: dict[str, Any], path: Path) -> None:
    """Seconds and peak memory against rows, per engine, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = pd.DataFrame(figures["results"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for engine, rows in frame.groupby("engine"):
        left.plot(rows["rows"], rows["seconds"], marker="o", label=engine)
        right.plot(rows["rows"], rows["peak_mb"], marker="o", label=engine)
    for skip in figures.get("skipped", []):
        right.scatter(
            skip["rows"], skip["predicted_peak_mb"], marker="x", color="black", zorder=3,
            label=f"{skip['engine']} predicted (not run)",
        )  # fmt: skip
    machine = figures["machine"]
    right.axhline(machine["memory_mb"], color="grey", ls="--", lw=1, label="machine memory")
    for axis, title in ((left, "build seconds"), (right, "peak memory (MB, process tree)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("sales rows")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    fig.suptitle(f"Feature build, pandas vs Spark ({machine['cpus']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
