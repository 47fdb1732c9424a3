"""Ground-truth parameters of simulated products.

The simulator draws one ``ProductParams`` per product; the same record drives the demand model,
is written out as the ground-truth file, and is read back by the oracle and the benchmark, so it
must round-trip through a DataFrame exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

CATEGORIES = ("beverages", "snacks", "dairy", "household", "personal_care")

#: Shelf-price range (low, high) of a typical item in each category.
CATEGORY_PRICE_RANGE = {
    "beverages": (1.0, 6.0),
    "snacks": (1.5, 6.0),
    "dairy": (1.5, 8.0),
    "household": (3.0, 20.0),
    "personal_care": (3.0, 16.0),
}

N_WEEKDAYS = 7
WEEKLY_COLUMNS = [f"weekly_{day}" for day in range(N_WEEKDAYS)]


@dataclass(frozen=True)
class ProductParams:
    """True demand and cost parameters of one product (the simulator's hidden truth).

    ``base_demand`` is expected units/day at ``ref_price`` with the competitor at
    ``competitor_ref_price`` on an average non-holiday day at the trend epoch. ``weekly`` holds
    seven multiplicative factors, Monday first, with mean 1. ``dispersion`` is the negative
    binomial size k: the variance of a day's demand is mu + mu**2 / k.
    """

    product_id: str
    category: str
    unit_cost: float
    base_price: float
    ref_price: float
    base_demand: float
    elasticity: float
    cross_elasticity: float
    competitor_ref_price: float
    weekly: tuple[float, ...]
    yearly_amplitude: float
    yearly_phase: float
    trend: float
    holiday_lift: float
    promo_lift: float
    dispersion: float

    def __post_init__(self) -> None:
        if len(self.weekly) != N_WEEKDAYS:
            raise ValueError(f"{self.product_id}: weekly needs 7 factors, got {len(self.weekly)}")
        if self.elasticity >= 0:
            raise ValueError(f"{self.product_id}: elasticity must be negative")
        if self.cross_elasticity <= 0:
            raise ValueError(f"{self.product_id}: cross_elasticity must be positive")
        if min(self.base_price, self.ref_price, self.competitor_ref_price, self.base_demand) <= 0:
            raise ValueError(f"{self.product_id}: prices and base_demand must be positive")


def charm_price(value: np.ndarray | float) -> np.ndarray:
    """Round to a price ending in 9 cents (2.37 -> 2.39, 4.96 -> 4.99), as shelves do."""
    dimes = np.maximum(np.round(np.asarray(value, dtype=float) * 10.0), 1.0)
    return np.round(dimes / 10.0 - 0.01, 2)


def _weekly_pattern(rng: np.random.Generator) -> tuple[float, ...]:
    """Seven factors with a random weekend bump and day noise, normalized to mean 1."""
    factors = np.exp(rng.normal(0.0, 0.08, N_WEEKDAYS))
    factors[4:6] *= 1.0 + rng.uniform(0.0, 0.35)  # Friday, Saturday
    factors /= factors.mean()
    return tuple(float(value) for value in factors)


def sample_products(n: int, rng: np.random.Generator, start_index: int = 0) -> list[ProductParams]:
    """Draw ``n`` products with varied elasticities so pricing matters differently per item.

    Ids continue from ``start_index`` (``P0001`` for index 0) so markets can be extended.
    """
    products = []
    for i in range(n):
        category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        low, high = CATEGORY_PRICE_RANGE[category]
        base_price = float(np.floor(rng.uniform(low, high))) + 0.99
        products.append(
            ProductParams(
                product_id=f"P{start_index + i + 1:04d}",
                category=category,
                unit_cost=round(base_price * float(rng.uniform(0.4, 0.6)), 2),
                base_price=base_price,
                ref_price=base_price,
                base_demand=float(np.exp(rng.uniform(np.log(8.0), np.log(120.0)))),
                elasticity=float(rng.uniform(-3.5, -1.2)),
                cross_elasticity=float(rng.uniform(0.2, 1.0)),
                competitor_ref_price=round(base_price * float(rng.uniform(0.92, 1.08)), 2),
                weekly=_weekly_pattern(rng),
                yearly_amplitude=float(rng.uniform(0.0, 0.3)),
                yearly_phase=float(rng.uniform(0.0, 1.0)),
                trend=float(rng.uniform(-0.04, 0.08)),
                holiday_lift=float(rng.uniform(1.1, 1.6)),
                promo_lift=float(rng.uniform(0.1, 0.5)),
                dispersion=float(rng.uniform(8.0, 40.0)),
            )
        )
    return products


def params_frame(params: list[ProductParams]) -> pd.DataFrame:
    """One row per product, ``weekly`` spread over ``weekly_0..weekly_6`` (the truth file)."""
    rows = []
    for product in params:
        row = asdict(product)
        weekly = row.pop("weekly")
        row.update(zip(WEEKLY_COLUMNS, weekly, strict=True))
        rows.append(row)
    columns = [f.name for f in fields(ProductParams) if f.name != "weekly"] + WEEKLY_COLUMNS
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"product_id": "string", "category": "string"})


def params_from_frame(frame: pd.DataFrame) -> list[ProductParams]:
    """Inverse of ``params_frame``: rebuild the products from the truth file."""
    scalar = [f.name for f in fields(ProductParams) if f.name != "weekly"]
    text = {"product_id", "category"}
    out = []
    for record in frame.to_dict("records"):
        values: dict[str, Any] = {
            name: str(record[name]) if name in text else float(record[name]) for name in scalar
        }
        weekly = tuple(float(record[column]) for column in WEEKLY_COLUMNS)
        out.append(ProductParams(weekly=weekly, **values))
    return out
