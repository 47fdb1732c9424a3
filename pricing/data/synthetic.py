"""Store a generated market in a home: canonical tables, the seed's sample format, truth."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pricing.data.home import HomeData, write_parquet_atomic
from pricing.data.ingest import IngestSummary, store_batch
from pricing.market.drift import MarketShift
from pricing.market.generate import generate_market
from pricing.market.params import ProductParams, params_from_frame
from pricing.settings import Settings


class HomeNotEmptyError(RuntimeError):
    """Refuse to replace a home's data unless asked to."""


@dataclass(frozen=True)
class GeneratedFiles:
    summary: IngestSummary
    seed_csv: str
    truth: str


def generate_into_home(
    settings: Settings,
    products: int,
    days: int,
    seed: int,
    overwrite: bool = False,
    shift: MarketShift | None = None,
) -> GeneratedFiles:
    """Generate a market and make it the home's data (replacing it only with ``overwrite``);
    ``shift`` changes the market from its start day on (the demo's drift window)."""
    home = HomeData(settings.data_dir)
    if home.exists() and not overwrite:
        raise HomeNotEmptyError(
            f"{settings.home_dir} already holds data; pass --overwrite to replace it with a "
            "generated market, or use another PRICING_HOME"
        )
    market = generate_market(products, days, seed, shift=shift)
    summary = store_batch(home, market.batch, source=f"generated:seed={seed}", replace=True)
    out = settings.generated_dir
    out.mkdir(parents=True, exist_ok=True)
    seed_csv = out / "sales_seed_format.csv"
    market.seed_format.to_csv(seed_csv, index=False)
    truth = out / "ground_truth.parquet"
    write_parquet_atomic(market.truth, truth)
    return GeneratedFiles(summary, str(seed_csv), str(truth))


def load_truth(settings: Settings) -> list[ProductParams]:
    """The true demand parameters of a generated home (for oracles and benchmarks)."""
    path = settings.generated_dir / "ground_truth.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path}: this home holds no generated market (no ground truth)")
    return params_from_frame(pd.read_parquet(path))
