"""Merging a batch into a home's tables one month partition at a time.

Only months the batch has rows in, and months where a series' span grew over periods it never
reported (new masked gaps), are read and written, so memory is bounded by a month of the home
plus the batch's month, not by the whole history, and every other partition is left as it is.

Upsert rules (the same for every table): a new row replaces a stored row with the same key.
Sales are kept complete over each series' span: every period from its first to its last
observed one has a row, the periods never observed masked (``observed=False``, values missing).
A gap row keeps the ingested timestamp it was first stored with; a new gap is stamped with the
batch's, the moment it became known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pricing.data.grain import period_delta
from pricing.data.home import HomeData
from pricing.data.partitioned import (
    WHOLE,
    month_bounds,
    month_name,
    month_numbers,
    month_partitions,
)
from pricing.data.schemas import KEY, TABLE_KEYS, TABLES, CanonicalBatch, conform, empty_table

#: Columns of a series span: the first and last observed period start.
SPAN = [*KEY, "first", "last"]
STEP_DAYS = {"daily": 1, "weekly": 7}


def series_spans(observed: pd.DataFrame) -> pd.DataFrame:
    """First and last observed period of each series (``observed``: its key and date)."""
    if observed.empty:
        keys = {k: pd.Series(dtype=object) for k in KEY}
        stamps = {c: pd.Series(dtype="datetime64[us, UTC]") for c in ("first", "last")}
        return pd.DataFrame({**keys, **stamps})
    grouped = observed.groupby(KEY, sort=False, observed=True)["date"]
    return grouped.agg(first="min", last="max").reset_index()


def combine_spans(*spans: pd.DataFrame) -> pd.DataFrame:
    """Spans of series seen in several batches: the earliest first, the latest last."""
    frames = [s.astype({k: object for k in KEY}) for s in spans if not s.empty]
    if not frames:
        return series_spans(pd.DataFrame(columns=[*KEY, "date"]))
    both = pd.concat(frames, ignore_index=True)
    grouped = both.groupby(KEY, sort=False)
    return grouped.agg(first=("first", "min"), last=("last", "max")).reset_index()


def grown_months(before: pd.DataFrame, after: pd.DataFrame) -> set[str]:
    """Months where a series' span grew (all of a new series'): periods newly inside a span
    may be gaps to mask. Spans are compared as month numbers, a few distinct ranges each."""
    joined = after.merge(before, on=KEY, how="left", suffixes=("", "_old"))
    first, last = month_numbers(joined["first"]), month_numbers(joined["last"])
    new = joined["first_old"].isna().to_numpy()
    earlier = ~new & (joined["first"] < joined["first_old"]).to_numpy()
    later = ~new & (joined["last"] > joined["last_old"]).to_numpy()
    old_first = month_numbers(joined["first_old"].fillna(joined["first"]))
    old_last = month_numbers(joined["last_old"].fillna(joined["last"]))
    ranges = pd.DataFrame(
        {
            "lo": np.concatenate([first[new], first[earlier], old_last[later]]),
            "hi": np.concatenate([last[new], old_first[earlier], last[later]]),
        }
    ).drop_duplicates()
    numbers = {m for lo, hi in ranges.itertuples(index=False) for m in range(lo, hi + 1)}
    return {month_name(m) for m in numbers}


def expected_periods(spans: pd.DataFrame, month: str, grain: str) -> pd.DataFrame:
    """Every period start of every series' span that falls in ``month`` (key and date).

    Vectorized in integer microseconds: a catalogue of many series must not loop in Python.
    Weekly periods step from each series' own first period, as the data set dates them.
    """
    start, end = month_bounds(month)
    live = spans[(spans["first"] <= end) & (spans["last"] >= start)]
    first = _micros(live["first"])
    if grain == "monthly":
        counts = np.ones(len(live), dtype="int64")
        dates = np.full(len(live), start.value // 1000, dtype="int64")
    else:
        step = STEP_DAYS[grain] * 86_400_000_000
        lo = np.maximum(first, start.value // 1000)
        hi = np.minimum(_micros(live["last"]), end.value // 1000)
        k_lo = -((first - lo) // step)  # ceil division
        k_hi = (hi - first) // step
        counts = np.maximum(k_hi - k_lo + 1, 0)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        dates = np.repeat(first + k_lo * step, counts) + within * step
    frame = pd.DataFrame({k: np.repeat(live[k].to_numpy(dtype=object), counts) for k in KEY})
    frame["date"] = pd.to_datetime(dates, unit="us", utc=True).astype("datetime64[us, UTC]")
    return frame


def _micros(stamps: pd.Series) -> np.ndarray:
    return stamps.astype("datetime64[us, UTC]").astype("int64").to_numpy()


def upsert(old: pd.DataFrame, new: pd.DataFrame, name: str) -> pd.DataFrame:
    """Old and new rows of a table, a new row winning on an equal key, in key order."""
    frames = [f for f in (old, new) if not f.empty]
    if not frames:
        return conform(new, name)
    both = conform(pd.concat(frames, ignore_index=True), name)
    both = both.drop_duplicates(TABLE_KEYS[name], keep="last")
    return both.sort_values(TABLE_KEYS[name], kind="stable").reset_index(drop=True)


def merge_sales_month(
    old: pd.DataFrame,
    new: pd.DataFrame,
    spans: pd.DataFrame,
    month: str,
    grain: str,
    ingested_at: pd.Timestamp,
    period: pd.DateOffset,
) -> pd.DataFrame:
    """A month of sales: observed rows upserted, then a masked row for every period of a
    series' span in the month that nothing observed (an old gap row kept as it was)."""
    observed = upsert(old[old["observed"]], new[new["observed"]], "sales")
    expected = expected_periods(spans, month, grain)
    columns = [*KEY, "date"]
    seen = observed[columns].astype({k: object for k in KEY})
    missing = expected.merge(seen, on=columns, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"].drop(columns="_merge")
    old_gaps = old[~old["observed"]].astype({k: object for k in KEY})
    gaps = missing.merge(old_gaps, on=columns, how="left")
    fresh = gaps["event_timestamp"].isna()
    gaps.loc[fresh, "event_timestamp"] = gaps.loc[fresh, "date"] + period
    gaps.loc[fresh, "ingested_timestamp"] = ingested_at
    gaps["observed"] = False
    gaps["stockout"] = False
    return upsert(observed, conform(gaps, "sales"), "sales")


#: Tables with a period date, partitioned by month (products is one partition).
DATED = ("sales", "inventory", "competitor_prices")


@dataclass(frozen=True)
class Incoming:
    """A batch seen month by month: held in memory, or staged on disk as it was read."""

    grain: str
    months: set[str]
    spans: pd.DataFrame
    products: pd.DataFrame
    ingested_at: pd.Timestamp
    month: Callable[[str], dict[str, pd.DataFrame]]


def incoming_batch(batch: CanonicalBatch) -> Incoming:
    """An in-memory batch, split by month."""
    parts = {name: month_partitions(conform(getattr(batch, name), name)) for name in DATED}
    observed = batch.sales[batch.sales["observed"]]
    ingested = observed["ingested_timestamp"].max() if not observed.empty else None
    return Incoming(
        grain=batch.freq,
        months={month for tables in parts.values() for month in tables},
        spans=series_spans(observed[[*KEY, "date"]]),
        products=batch.products,
        ingested_at=pd.Timestamp.now(tz="UTC").floor("us") if ingested is None else ingested,
        month=lambda m: {name: parts[name].get(m, empty_table(name)) for name in DATED},
    )


def home_spans(home: HomeData) -> pd.DataFrame:
    """Spans of the home's series, from the key, date and observed columns alone."""
    sales = home.read("sales", columns=[*KEY, "date", "observed"])
    return series_spans(sales[sales["observed"].astype(bool)][[*KEY, "date"]])


def merge_into_home(
    home: HomeData, incoming: Incoming, keep: bool, meta: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Merge ``incoming`` into the home month by month (``keep=False``: replace its data);
    every table's new version is swapped in at the end, none if anything failed. Returns the
    partitions written."""
    old_spans = home_spans(home) if keep else series_spans(pd.DataFrame())
    spans = combine_spans(old_spans, incoming.spans)
    months = incoming.months | grown_months(old_spans, spans)
    period = period_delta(incoming.grain)
    with home.new_versions(TABLES, keep, meta) as versions:
        for month in sorted(months):
            new = incoming.month(month)
            for name in DATED:
                old = home.read_partition(name, month) if keep else empty_table(name)
                if name == "sales":
                    merged = merge_sales_month(
                        old, new[name], spans, month, incoming.grain, incoming.ingested_at, period
                    )
                else:
                    merged = upsert(old, new[name], name)
                versions.writers[name].write(month, merged, old if keep else None)
        products = home.read("products") if keep else empty_table("products")
        merged = upsert(products, incoming.products, "products")
        versions.writers["products"].write(WHOLE, merged, products)
    return versions.written
