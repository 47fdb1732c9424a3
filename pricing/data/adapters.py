"""Built-in adapters for the real data sets shipped with the platform.

The files live in the repo's ``data/`` folder, installed as the ``pricing_datasets`` package
data. Each adapter maps a published table into the canonical tables through the same
validation as any ingest. See ``data/*/README.md`` for provenance and licences.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from pricing.data.canonical import batch_from_rows
from pricing.data.home import HomeData
from pricing.data.ingest import IngestSummary, store_batch
from pricing.data.loaders import read_raw
from pricing.data.schemas import CanonicalBatch, conform
from pricing.data.validation import validate_input

#: Dominick's OJ brands (bayesm numbering) -> (product id, pack size in ounces).
OJ_BRANDS = {
    1: ("tropicana_premium_64oz", 64.0),
    2: ("tropicana_premium_96oz", 96.0),
    3: ("florida_natural_64oz", 64.0),
    4: ("tropicana_64oz", 64.0),
    5: ("minute_maid_64oz", 64.0),
    6: ("minute_maid_96oz", 96.0),
    7: ("citrus_hill_64oz", 64.0),
    8: ("tree_fresh_64oz", 64.0),
    9: ("florida_gold_64oz", 64.0),
    10: ("dominicks_64oz", 64.0),
    11: ("dominicks_128oz", 128.0),
}
OJ_WEEK1 = pd.Timestamp("1989-09-14", tz="UTC")


def shipped_datasets_dir() -> Path:
    """Where the shipped data sets are installed (the repo's ``data/`` in a checkout)."""
    return Path(str(files("pricing_datasets")))


def load_oj(datasets_dir: Path) -> CanonicalBatch:
    """Dominick's OJ: product = brand, location = store, weekly; other brands as substitutes.

    Shelf price = price per ounce x pack size; promo = mean of in-store deal and feature ad.
    """
    raw = read_raw(datasets_dir / "dominicks_oj" / "oj_yx.csv.gz")
    num = raw.apply(pd.to_numeric, errors="coerce")
    brand = num["brand"].astype("Int64")
    packs = {b: pack for b, (_, pack) in OJ_BRANDS.items()}
    own_price = np.choose(brand.to_numpy(int) - 1, [num[f"price{b}"] for b in OJ_BRANDS])
    rows = pd.DataFrame(
        {
            "product_id": brand.map({b: name for b, (name, _) in OJ_BRANDS.items()}),
            "location_id": raw["store"].str.strip(),
            "date": OJ_WEEK1 + pd.to_timedelta((num["week"] - 1) * 7, unit="D"),
            "units": np.rint(np.exp(num["logmove"])),
            "price": (own_price * brand.map(packs).astype(float)).round(2),
            "promo": (num["deal"] + num["feat"]) / 2.0,
            "pack_size": brand.map(packs).astype(float),
            "category": "refrigerated_orange_juice",
        }
    )
    valid = validate_input(rows, source="dominicks_oj/oj_yx.csv.gz")
    batch = batch_from_rows(valid, "weekly", _ingested_at(valid))
    competitors = []
    for other, (other_id, pack) in OJ_BRANDS.items():
        mask = (brand != other).to_numpy()
        competitors.append(
            valid.loc[mask, ["product_id", "location_id", "date"]].assign(
                competitor_id=other_id,
                competitor_type="substitute",
                price=(num.loc[mask, f"price{other}"] * pack).round(2).to_numpy(),
            )
        )
    comp = pd.concat(competitors, ignore_index=True)
    comp["event_timestamp"] = comp["date"] + pd.Timedelta(days=7)
    comp["ingested_timestamp"] = batch.sales["ingested_timestamp"].iloc[0]
    batch.competitor_prices = conform(comp, "competitor_prices")
    return batch


def load_retail_price(datasets_dir: Path) -> CanonicalBatch:
    """Kaggle retail price optimisation: monthly, one location, three rival prices."""
    raw = read_raw(datasets_dir / "retail_price" / "retail_price.csv")
    rows = pd.DataFrame(
        {
            "product_id": raw["product_id"],
            "date": raw["month_year"],
            "units": raw["qty"],
            "price": raw["unit_price"],
            "category": raw["product_category_name"],
        }
    )
    valid = validate_input(rows, source="retail_price/retail_price.csv")
    batch = batch_from_rows(valid, "monthly", _ingested_at(valid))
    comp = pd.concat(
        [
            valid[["product_id", "location_id", "date"]].assign(
                competitor_id=name,
                competitor_type="competitor",
                price=pd.to_numeric(raw[name], errors="coerce").to_numpy(),
            )
            for name in ("comp_1", "comp_2", "comp_3")
        ],
        ignore_index=True,
    )
    comp = comp[comp["price"] > 0]
    comp["event_timestamp"] = comp["date"] + pd.DateOffset(months=1)
    comp["ingested_timestamp"] = batch.sales["ingested_timestamp"].iloc[0]
    batch.competitor_prices = conform(comp, "competitor_prices")
    return batch


def _ingested_at(rows: pd.DataFrame) -> pd.Timestamp:
    """A deterministic ingest stamp for shipped data: just after its last period."""
    return rows["date"].max() + pd.Timedelta(days=31)


DATASETS: dict[str, Callable[[Path], CanonicalBatch]] = {
    "oj": load_oj,
    "retail_price": load_retail_price,
}


def ingest_dataset(home: HomeData, name: str, replace: bool = False) -> IngestSummary:
    """Load a shipped data set through its adapter and store it in the home (atomically)."""
    if name not in DATASETS:
        raise KeyError(f"unknown data set {name!r}; expected one of {', '.join(sorted(DATASETS))}")
    batch = DATASETS[name](shipped_datasets_dir())
    return store_batch(home, batch, source=f"dataset:{name}", replace=replace)
