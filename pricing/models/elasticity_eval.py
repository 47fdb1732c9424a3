"""How well the price response recovers elasticities: against the truth, or for plausibility.

On simulated homes the true elasticity of every product is known, so the fitted arc
elasticities are scored by rank correlation and median absolute error; on real data sets
(Dominick's OJ) only the share that is negative and the median can be judged, and how far the
response extrapolates: units 10% below each series' lowest observed price (still trusted) over
units at it, whose tail once reached 81x on retail_price.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from pricing.models.elasticity import PriceResponseModel
from pricing.settings import Settings


def truth_frame(settings: Settings) -> pd.DataFrame | None:
    """True elasticities (product_id, elasticity) of a generated home; None for real data."""
    from pricing.data.synthetic import load_truth

    try:
        params = load_truth(settings)
    except FileNotFoundError:
        return None
    return pd.DataFrame(
        {"product_id": [p.product_id for p in params], "elasticity": [p.elasticity for p in params]}
    )


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def evaluate_elasticity(
    frame: pd.DataFrame, truth: pd.DataFrame | None, seed: int = 0, quick: bool = False
) -> dict[str, Any]:
    """Fit the response on ``frame`` and score its per-product elasticities.

    A product's elasticity is the mean over its locations of the series' arc elasticity at the
    series' median price; ``interval_coverage`` is the share of products whose true elasticity
    lies between the ensemble's mean ``lower`` and ``upper``. Without truth the scores are None.
    """
    started = time.perf_counter()
    model = PriceResponseModel.fit(frame, seed=seed, quick=quick)
    fit_seconds = time.perf_counter() - started
    series = model.elasticities(frame)
    products = series.groupby("product_id")[["elasticity", "lower", "upper"]].mean()
    below = model.below_edge_ratios(frame).to_numpy()
    spread = (
        [np.median(below), np.quantile(below, 0.9), below.max()] if below.size else [math.nan] * 3
    )
    result: dict[str, Any] = {
        "rank_correlation": None,
        "median_abs_error": None,
        "interval_coverage": None,
        "share_negative": _number(float((products["elasticity"] < 0).mean())),
        "median_elasticity": _number(float(products["elasticity"].median())),
        "below_edge_ratio_median": _number(float(spread[0])),
        "below_edge_ratio_p90": _number(float(spread[1])),
        "below_edge_ratio_max": _number(float(spread[2])),
        "products": len(products),
        "series": len(series),
        "fit_seconds": round(fit_seconds, 2),
    }
    if truth is None:
        return result
    true = truth.assign(product_id=truth["product_id"].astype(str)).groupby("product_id")
    joined = products.join(true["elasticity"].mean().rename("truth"), how="inner")
    if len(joined) >= 2:
        result["rank_correlation"] = _number(spearmanr(joined["elasticity"], joined["truth"])[0])
    if len(joined):
        error = (joined["elasticity"] - joined["truth"]).abs()
        inside = joined["truth"].between(joined["lower"], joined["upper"])
        result["median_abs_error"] = _number(float(error.median()))
        result["interval_coverage"] = _number(float(inside.mean()))
    return result
