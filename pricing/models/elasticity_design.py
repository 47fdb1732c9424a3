"""The price response's design: per-series log-linear priors and the trees' feature matrix.

Kept apart from the model class so both training and serving share one feature path; it works
on plain numpy columns (``Cols``) because serving builds it on every request.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from pricing.data.schemas import KEY
from pricing.features.calendar import CALENDAR_FEATURES

PRICE_FEATURES = ["log_price_ratio", "log_gap_ratio", "log_price_change", "promo"]
FEATURES = [*PRICE_FEATURES, *CALENDAR_FEATURES, "log_units_ma28", "log_units_ma7",
            "days_of_cover", "series_level"]  # fmt: skip
MONOTONE = {"log_price_ratio": -1, "log_gap_ratio": -1, "log_price_change": -1, "promo": 1}
BASE = ["units_ma28", "units_ma7", "revenue_ma28", "revenue_ma7", "last_price",
        "competitor_min_price", "days_of_cover", *CALENDAR_FEATURES]  # fmt: skip
SERIES = ["ref_price", "min_price", "max_price", "comp_ref", "level"]
ARC, PAD, OFFSET, BLOCK = 0.05, 0.10, 0.5, 14
ARC_SPAN = math.log((1 + ARC) / (1 - ARC))  # the +-5% arc's log width
EPOCH = pd.Timestamp("2000-01-01", tz="UTC")


def safe_log(values: Any) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(np.asarray(values, dtype=float))
    return np.where(np.isfinite(out), out, np.nan)


def prepare_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed, not stocked-out rows with a price (deterministic order) and the series table."""
    rows = frame[frame["units_sold"].notna() & (frame["price"] > 0)]
    rows = rows[~rows["stockout"].fillna(False).astype(bool)].copy()
    rows[KEY] = rows[KEY].astype(str)
    rows = rows.sort_values([*KEY, "event_timestamp"], kind="stable").reset_index(drop=True)
    rows["y"] = np.log(rows["units_sold"].clip(lower=0) + OFFSET)
    rows["comp"] = rows["competitor_min_price"].where(rows["competitor_min_price"] > 0)
    stats = {"price": ["median", "min", "max"], "comp": ["median"], "y": ["mean"]}
    series = rows.groupby(KEY, sort=True).agg(stats)
    series.columns = SERIES
    return rows, series


def _pool(b: np.ndarray, se: np.ndarray) -> tuple[float, float, float] | None:
    """Random-effects pooling (DerSimonian-Laird spread: outlier-robust) of the estimates with a
    finite standard error: their mean, between-series variance and the mean's own variance;
    None when no estimate has one."""
    ok = np.isfinite(b) & np.isfinite(se) & (se > 0)
    if not ok.any():
        return None
    w = se[ok] ** -2.0
    q = float(np.sum(w * (b[ok] - np.average(b[ok], weights=w)) ** 2))
    tau2 = max((q - ok.sum() + 1) / (w.sum() - np.sum(w**2) / w.sum() + 1e-12), 1e-2)
    w_star = 1.0 / (se[ok] ** 2 + tau2)
    return float(np.average(b[ok], weights=w_star)), tau2, float(1.0 / w_star.sum())


def _shrink(b: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Empirical-Bayes shrinkage toward the pooled mean (what series without an estimate take)."""
    pooled = _pool(b, se)
    if pooled is None:
        return np.zeros_like(b)
    mu, tau2, _ = pooled
    ok = np.isfinite(b) & np.isfinite(se) & (se > 0)
    return np.where(ok, (b / se**2 + mu / tau2) / (1.0 / se**2 + 1.0 / tau2), mu)


@dataclass(frozen=True)
class PricePrior:
    """The price elasticity of a series whose own rows identify none (e.g. never seen at two
    prices): mean, spread (sd) and source (``POOLED`` over the fitted series, else ``DEFAULT``)."""

    mean: float
    sd: float
    source: str

    def member_slopes(self, members: int) -> np.ndarray:
        """One slope per bootstrap member at evenly spaced quantiles of the prior (never
        positive): the ensemble's spread, hence the elasticity band and the confidence, is
        the prior's own, where bootstrapping a constant price would give none."""
        z = [NormalDist().inv_cdf((m + 0.5) / members) for m in range(members)]
        return np.minimum(self.mean + self.sd * np.asarray(z), 0.0)


FITTED, POOLED, DEFAULT = "fitted", "pooled_prior", "default_prior"
#: With nothing to pool (no series varies its price) a series takes -1.5 +- 1 (sd): mid-range
#: of published retail elasticities, and wide enough that its members disagree on whether
#: demand is elastic at all, so nothing priced on it claims to be sure.
DEFAULT_PRIOR = PricePrior(-1.5, 1.0, DEFAULT)
#: A pooled prior is never narrower than this (sd): other series' elasticities say little
#: about one never seen at another price.
MIN_PRIOR_SD = 0.5


Cols = dict[str, np.ndarray]


def columns(rows: pd.DataFrame) -> Cols:
    """What the design reads, as float arrays (numpy, not pandas: serving calls this per request);
    ``t`` is years since 2000 (zero without a timestamp: calendar effects cancel in ratios)."""
    n, out = len(rows), {}
    for name in [*BASE, "promo"]:
        out[name] = rows[name].to_numpy(float) if name in rows else np.full(n, np.nan)
    when = rows.get("event_timestamp")
    out["t"] = np.zeros(n) if when is None else (when - EPOCH).dt.days.to_numpy(float) / 365.25
    return out


def series_info(series: pd.DataFrame | Cols, idx: np.ndarray) -> Cols:
    """The series table's columns at rows ``idx`` (``series`` may already be arrays)."""
    if isinstance(series, dict):
        return {c: series[c][idx] for c in SERIES}
    return {c: series[c].to_numpy(float)[idx] for c in SERIES}


def _regressors(cols: Cols, prices: np.ndarray, info: Cols) -> np.ndarray:
    """The prior's regressors: log price ratio, log competitor ratio (0 if unknown), promo, then
    trend, season, holiday, weekday."""
    comp = safe_log(cols["competitor_min_price"] / info["comp_ref"])
    x, promo, t = safe_log(prices / info["ref_price"]), np.nan_to_num(cols["promo"]), cols["t"]
    return np.column_stack(
        [x, np.nan_to_num(comp), promo, t, np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)]
        + [np.nan_to_num(cols["is_holiday"])]
        + [(cols["day_of_week"] == d).astype(float) for d in range(1, 7)]
    )


def _series_fits(
    rows: pd.DataFrame, series: pd.DataFrame, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per series, weighted least squares on ``_regressors``: the rows' series codes,
    regressors and targets, then coefficients (series, 1 + regressors) and the standard errors
    of the price, competitor and promo effects (NaN where a series could not be fitted)."""
    code, y = series.index.get_indexer(pd.MultiIndex.from_frame(rows[KEY])), rows["y"].to_numpy()
    x = _regressors(columns(rows), rows["price"].to_numpy(float), series_info(series, code))
    controls, k = np.column_stack([np.ones(len(rows)), x]), x.shape[1] + 1
    beta_all, se_all = np.zeros((len(series), k)), np.full((len(series), 3), np.nan)
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    for a, b in zip(starts, [*starts[1:], len(rows)], strict=True):
        w, xs, ys = weight[a:b], controls[a:b], y[a:b]
        keep = np.ptp(xs[w > 0], axis=0) > 0 if (w > 0).sum() > 2 else np.zeros(k, bool)
        keep[0] = True
        if not keep[1] or w.sum() <= keep.sum() + 2:
            continue  # no price variation here: the pooled mean stands in
        inv = np.linalg.pinv(xs[:, keep].T @ (xs[:, keep] * w[:, None]))
        beta, se = np.zeros(k), np.full(k, np.inf)
        beta[keep] = inv @ xs[:, keep].T @ (w * ys)
        s2 = float(w @ (ys - xs @ beta) ** 2) / (w.sum() - keep.sum())
        se[keep] = np.sqrt(np.maximum(np.diag(inv) * s2, 1e-12))
        beta_all[code[a]], se_all[code[a]] = beta, se[1:4]
    return code, x, y, beta_all, se_all


def price_prior(rows: pd.DataFrame, series: pd.DataFrame) -> tuple[PricePrior, np.ndarray]:
    """Which series their own rows identify a price slope for (all rows, unit weights), and
    the prior the others take: the pooled mean of those slopes (predictive spread: between
    series plus the mean's own, floored at ``MIN_PRIOR_SD``), else ``DEFAULT_PRIOR``."""
    _, _, _, beta, se = _series_fits(rows, series, np.ones(len(rows)))
    fitted = np.isfinite(se[:, 0])
    pooled = _pool(beta[:, 1], se[:, 0])
    if pooled is None:
        return DEFAULT_PRIOR, fitted
    mu, tau2, var_mu = pooled
    return PricePrior(min(mu, 0.0), max(math.sqrt(tau2 + var_mu), MIN_PRIOR_SD), POOLED), fitted


def fit_prior(
    rows: pd.DataFrame, series: pd.DataFrame, weight: np.ndarray, fixed_slope: np.ndarray
) -> np.ndarray:
    """Per series: intercept and coefficients of ``_regressors`` by weighted least squares.

    The price, competitor and promo effects are shrunk and sign-clipped; a series with a
    finite ``fixed_slope`` (one its rows identify no price slope for) takes it. Then
    the intercept is refitted so the margin stays unbiased per series.
    """
    code, x, y, beta_all, se_all = _series_fits(rows, series, weight)
    coef = beta_all[:, 1:]
    effects = np.column_stack([_shrink(coef[:, j], se_all[:, j]) for j in range(3)])
    coef[:, :3] = np.clip(effects, [-np.inf, 0.0, 0.0], [0.0, np.inf, np.inf])
    coef[:, 0] = np.where(np.isfinite(fixed_slope), fixed_slope, coef[:, 0])
    total = np.bincount(code, weights=weight, minlength=len(series))
    rest = np.bincount(code, weights=weight * (y - np.sum(x * coef[code], axis=1)))
    level = series["level"].to_numpy(float)  # a series no draw kept falls back to its mean
    return np.column_stack([np.divide(rest, total, out=level.copy(), where=total > 0), coef])


def design(
    col: Cols, prices: np.ndarray, series: pd.DataFrame | Cols, prior: np.ndarray, idx: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Tree features (columns in FEATURES order) at ``prices`` and the prior's base margin."""
    info = series_info(series, idx)
    ref, level, slope = info["ref_price"], info["level"], prior[idx, 1]
    effects = _regressors(col, prices, info)
    d = {"log_price_ratio": effects[:, 0], "promo": effects[:, 2]}
    d["log_gap_ratio"] = safe_log(prices / col["competitor_min_price"])
    d["log_price_change"] = safe_log(prices / col["last_price"])
    for w in (28, 7):
        units, paid = (
            col[f"units_ma{w}"],
            safe_log(col[f"revenue_ma{w}"] / col[f"units_ma{w}"] / ref),
        )
        d[f"log_units_ma{w}"] = safe_log(units + OFFSET) - level - slope * np.nan_to_num(paid)
    d = col | d | {"series_level": level}
    design = np.column_stack([np.broadcast_to(d[f], len(prices)) for f in FEATURES])
    margin = prior[idx, 0] + np.sum(effects * prior[idx, 1:], axis=1)
    return design, margin.astype(np.float32)  # XGBoost's own precision (and fast path)


def price_design(
    col: Cols, prices: np.ndarray, series: pd.DataFrame | Cols, priors: np.ndarray, idx: Any
) -> tuple[np.ndarray, np.ndarray]:
    """What ``price_trees_booster`` needs: the price features (other columns left at zero:
    no price tree reads them) and every member's prior margin, (rows, members)."""
    effects = _regressors(col, prices, series_info(series, idx))
    matrix = np.zeros((len(prices), len(FEATURES)), dtype=np.float32)
    matrix[:, FEATURES.index("log_price_ratio")] = effects[:, 0]
    matrix[:, FEATURES.index("promo")] = effects[:, 2]
    matrix[:, FEATURES.index("log_gap_ratio")] = safe_log(prices / col["competitor_min_price"])
    matrix[:, FEATURES.index("log_price_change")] = safe_log(prices / col["last_price"])
    margins = priors[:, idx, 0] + np.einsum("rj,mrj->mr", effects, priors[:, idx, 1:])
    return matrix, np.ascontiguousarray(margins.T, dtype=np.float32)


def price_trees_booster(boosters: list[xgb.Booster]) -> xgb.Booster | None:
    """The members' price trees as one multi-target booster (output m = member m).

    The interaction constraints keep price and non-price features in separate trees, so a
    non-price tree adds the same amount at every price of one item and cancels in every ratio.
    Keeping only the price trees (about a tenth) in one booster turns one predict call per
    member into one call in all: what serving needs. None when no member has a price tree.
    """
    price = {FEATURES.index(f) for f in PRICE_FEATURES}
    models = [json.loads(b.save_raw("json")) for b in boosters]
    trees: list[dict[str, Any]] = []
    owner: list[int] = []
    for member, model in enumerate(models):
        for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
            splits = zip(tree["split_indices"], tree["left_children"], strict=True)
            used = {f for f, left in splits if left != -1}
            if used and used <= price:
                trees.append({**tree, "id": len(trees)})
                owner.append(member)
    if not trees:
        return None
    merged = models[0]
    gbtree = merged["learner"]["gradient_booster"]["model"]
    gbtree |= {"trees": trees, "tree_info": owner, "iteration_indptr": [0, len(trees)]}
    gbtree["gbtree_model_param"]["num_trees"] = str(len(trees))
    params = merged["learner"]["learner_model_param"]
    params |= {"num_target": str(len(models)), "base_score": str([0.0] * len(models))}
    booster = xgb.Booster()
    booster.load_model(bytearray(json.dumps(merged).encode()))
    booster.set_param({"nthread": 1})
    return booster
