"""The feature benchmark's pure parts: its tables, growth figures and memory line."""

from __future__ import annotations

import pandas as pd

from pricing.data.schemas import TABLES, conform
from pricing.evaluation.features_bench import (
    EngineRun,
    bench_tables,
    growth_exponent,
    memory_line,
    summarize,
)


def test_bench_tables_are_canonical_whole_years_with_gaps_and_substitutes() -> None:
    tables = bench_tables(5000, seed=1)
    assert set(tables) == set(TABLES)
    sales = tables["sales"]
    assert len(sales) == 14 * 365  # ceil(5000 / 365) series of a year
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(conform(frame, name), conform(conform(frame, name), name))
    masked = sales[~sales["observed"]]
    assert len(masked) > 0 and masked["units_sold"].isna().all()
    assert sales["stockout"].any()
    assert set(tables["competitor_prices"]["competitor_type"]) == {"competitor", "substitute"}


def test_growth_exponent_is_one_for_linear_and_two_for_quadratic() -> None:
    rows = [1_000, 10_000, 100_000]
    assert growth_exponent(rows, [r * 2e-3 for r in rows]) == 1.0
    assert growth_exponent(rows, [(r / 1e3) ** 2 for r in rows]) == 2.0
    assert growth_exponent(rows[:1], [1.0]) is None


def test_memory_line_goes_through_the_two_largest_runs() -> None:
    runs = [EngineRun("pandas", n, 1.0, mb) for n, mb in ((1, 900.0), (10, 300.0), (20, 500.0))]
    fixed, per_row = memory_line(runs)  # type: ignore[misc]
    assert per_row == 20.0 and fixed == 100.0
    assert memory_line(runs[:1]) is None


def test_summary_reports_ratios_and_where_memory_runs_out() -> None:
    runs = [
        EngineRun("pandas", 1_000_000, 10.0, 1_700.0),
        EngineRun("spark", 1_000_000, 30.0, 2_000.0),
        EngineRun("pandas", 2_000_000, 20.0, 3_300.0),
        EngineRun("spark", 2_000_000, 45.0, 2_100.0),
    ]
    figures = summarize(runs, equal=True)
    assert figures["ratios"] == [
        {"rows": 1_000_000, "spark_over_pandas": 3.0},
        {"rows": 2_000_000, "spark_over_pandas": 2.25},
    ]
    pandas = figures["memory"]["pandas"]
    assert pandas["mb_per_million_rows"] == 1_600.0 and pandas["fixed_mb"] == 100.0
    memory = figures["machine"]["memory_mb"]
    assert abs(pandas["rows_at_machine_memory"] - (memory - 100.0) / 1.6e-3) < 1_000
    assert figures["growth"]["pandas"]["time_exponent"] == 1.0
    assert figures["results"][0]["rows_per_s"] == 100_000
