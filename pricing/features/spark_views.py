"""The feature views in Spark's own terms: window functions per series, joins, aggregates.

The same definitions as the pandas reference (``sales.py``, ``inventory.py``,
``competitor.py``), written for Spark to distribute: a series is a window partition ordered by
period, so no step needs a whole table in one place. Pandas' NaN is Spark's null here (the
inputs are read so, and both are null once written): a masked period drops out of a mean as a
null does out of Spark's ``avg``, and a window holding nothing else gives null, as
``rolling(min_periods=1)`` gives NaN.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from pricing.data.schemas import KEY
from pricing.features.inventory import PERIOD_DAYS
from pricing.features.sales import PRICE_CHANGE, WINDOWS

#: Each view's key, and the order its rows are written in (the pandas engine's order).
VIEW_KEY = [*KEY, "event_timestamp"]
INF = float("inf")


def series() -> WindowSpec:
    """Each series' periods in order (a function: a window needs an active session)."""
    return Window.partitionBy(*KEY).orderBy("date")


def last_periods(periods: int | None) -> WindowSpec:
    """The current period and the ``periods - 1`` before it, as pandas' ``rolling(periods)``;
    ``None``: every period so far."""
    start = Window.unboundedPreceding if periods is None else -(periods - 1)
    return series().rowsBetween(start, Window.currentRow)


def before_current() -> WindowSpec:
    """Every period before the current one."""
    return series().rowsBetween(Window.unboundedPreceding, -1)


def finite(column: Column) -> Column:
    """Null for ±inf, as pandas' ``replace([inf, -inf], nan)``."""
    return F.when(F.abs(column) != INF, column)


def divide(numerator: Column, denominator: Column) -> Column:
    """Division as pandas does it: x/0 is ±inf, 0/0 missing (Spark's ``/`` gives null there,
    or fails under ANSI mode)."""
    by_zero = F.when(numerator > 0, INF).when(numerator < 0, -INF)
    return F.when(denominator != 0, numerator / denominator).when(denominator == 0, by_zero)


def sales_stats(sales: DataFrame, windows: tuple[int, ...] = WINDOWS) -> DataFrame:
    """``pricing.features.sales.sales_stats``: moving averages, trend, price change, promo."""
    short, long = min(windows), max(windows)
    averages = [
        F.avg(column).over(last_periods(window)).alias(f"{name}_ma{window}")
        for window in windows
        for column, name in (("units_sold", "units"), ("revenue", "revenue"))
    ]
    frame = sales.select(
        *VIEW_KEY,
        "date",
        F.col("ingested_timestamp").alias("created_timestamp"),
        *averages,
        F.col("units_sold").alias("last_units"),
        # the price in effect persists over an unobserved period
        F.last("price", ignorenulls=True).over(last_periods(None)).alias("last_price"),
        # the previous period's last_price, in this same window pass (no lag over a second)
        F.last("price", ignorenulls=True).over(before_current()).alias("previous_price"),
        F.coalesce(F.col("promo"), F.lit(0.0)).alias("last_promo"),
        F.avg(F.col("observed").cast("double")).over(last_periods(long)).alias("observed_share28"),
        F.row_number().over(series()).alias("period"),
    )
    change = divide(F.col("last_price"), F.col("previous_price")) - 1.0
    frame = frame.withColumn("price_change", F.coalesce(change, F.lit(0.0)))
    # 0 in the period of a change (or a series' first period), then 1, 2, ...
    changed = (F.abs(F.col("price_change")) > PRICE_CHANGE) | (F.col("period") == 1)
    last_change = F.max(F.when(changed, F.col("period"))).over(last_periods(None))
    frame = frame.withColumn("periods_since_price_change", F.col("period") - last_change)
    units_long = F.col(f"units_ma{long}")
    trend = F.when(units_long > 0, F.col(f"units_ma{short}") / units_long - 1.0)
    frame = frame.withColumn("units_trend", trend)
    features = [
        *(f"{name}_ma{window}" for window in windows for name in ("units", "revenue")),
        "units_trend",
        "last_units",
        "last_price",
        "price_change",
        "periods_since_price_change",
        "last_promo",
        "observed_share28",
    ]
    return frame.select(
        *VIEW_KEY,
        "created_timestamp",
        *(finite(F.col(name).cast("double")).alias(name) for name in features),
    )


def inventory_stats(inventory: DataFrame, sales_features: DataFrame, grain: str) -> DataFrame:
    """``pricing.features.inventory.inventory_stats``: on hand, inbound, days of cover from
    the 7-period moving average known at the same timestamp."""
    rate = sales_features.select(*VIEW_KEY, "units_ma7")
    daily_rate = F.col("units_ma7") / PERIOD_DAYS[grain]
    cover = F.when(daily_rate > 0, F.col("on_hand") / daily_rate)
    return inventory.join(rate, on=VIEW_KEY, how="left").select(
        *VIEW_KEY,
        "on_hand",
        "inbound",
        F.col("ingested_timestamp").alias("created_timestamp"),
        finite(cover).alias("days_of_cover"),
    )


def competitor_stats(competitors: DataFrame, sales_features: DataFrame) -> DataFrame:
    """``pricing.features.competitor.competitor_stats``: min/mean rival price, how many were
    seen, our price gap ratio; against rival retailers when the table holds any, else against
    every row (own-brand substitutes)."""
    rivals = competitors.filter(F.col("competitor_type") == "competitor")
    chosen = competitors if rivals.isEmpty() else rivals
    stats = chosen.groupBy(*VIEW_KEY).agg(
        F.min("price").alias("competitor_min_price"),
        F.avg("price").alias("competitor_mean_price"),
        F.count("price").cast("double").alias("competitor_count"),
        F.max("ingested_timestamp").alias("created_timestamp"),
    )
    ours = sales_features.select(*VIEW_KEY, "last_price")
    return stats.join(ours, on=VIEW_KEY, how="left").select(
        *VIEW_KEY,
        "competitor_min_price",
        "competitor_mean_price",
        "competitor_count",
        "created_timestamp",
        divide(F.col("last_price"), F.col("competitor_min_price")).alias("price_gap_ratio"),
    )
