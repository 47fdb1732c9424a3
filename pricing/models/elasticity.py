"""Price response: monotone XGBoost on log units, boosted from a per-series log-linear prior.

Trees that tell series apart only by a numeric level learn one pooled elasticity, so each
bootstrap member first fits every series a weighted log-log regression (price, competitor, promo,
trend, season, holiday, weekday), shrinks the price, competitor and promo effects toward their
means (empirical Bayes; price slope <= 0, the others >= 0) and uses it as XGBoost's base margin.
The trees add what the prior misses; price features (non-increasing in each, promo
non-decreasing) may only interact with each other, so the price shape they add is pooled and
cannot chase per-series noise. Moving averages enter deflated by the prior (units at the
reference price), else they carry past prices into the price change. Stock-out rows are
dropped: they censor demand. Outside a series' observed price range (+-10%) the response is a
constant-elasticity tail whose elasticity is the +-5% arc ending at the edge; ``confidence`` is
1 inside that range and halves with every further 10% beyond it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from pricing.data.schemas import KEY
from pricing.features.calendar import CALENDAR_FEATURES
from pricing.models.response import DemandContext

PRICE_FEATURES = ["log_price_ratio", "log_gap_ratio", "log_price_change", "promo"]
FEATURES = [*PRICE_FEATURES, *CALENDAR_FEATURES, "log_units_ma28", "log_units_ma7",
            "days_of_cover", "series_level"]  # fmt: skip
MONOTONE = {"log_price_ratio": -1, "log_gap_ratio": -1, "log_price_change": -1, "promo": 1}
BASE = ["units_ma28", "units_ma7", "revenue_ma28", "revenue_ma7", "last_price",
        "competitor_min_price", "days_of_cover", *CALENDAR_FEATURES]  # fmt: skip
SERIES = ["ref_price", "min_price", "max_price", "comp_ref", "level"]
ARC, PAD, OFFSET, BLOCK = 0.05, 0.10, 0.5, 14
INNER, ARC_SPAN = (1 - ARC) / (1 + ARC), math.log((1 + ARC) / (1 - ARC))  # +-5% arc
META = "elasticity_model.json"
EPOCH = pd.Timestamp("2000-01-01", tz="UTC")


def _params(seed: int, quick: bool) -> dict[str, Any]:
    groups = [[i for i, f in enumerate(FEATURES) if (f in PRICE_FEATURES) == g] for g in (1, 0)]
    return {
        "objective": "reg:squarederror", "tree_method": "hist", "nthread": 1, "seed": seed,
        "max_depth": 3 if quick else 4, "eta": 0.1 if quick else 0.05, "subsample": 0.8,
        "colsample_bytree": 0.8, "min_child_weight": 20, "interaction_constraints": str(groups),
        "monotone_constraints": str(tuple(MONOTONE.get(f, 0) for f in FEATURES)),
    }  # fmt: skip


def _log(values: Any) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(np.asarray(values, dtype=float))
    return np.where(np.isfinite(out), out, np.nan)


def _prepare(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
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


def _shrink(b: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Empirical-Bayes shrinkage toward the mean (DerSimonian-Laird spread: outlier-robust)."""
    ok = np.isfinite(b) & np.isfinite(se) & (se > 0)
    if not ok.any():
        return np.zeros_like(b)
    w = se[ok] ** -2.0
    q = float(np.sum(w * (b[ok] - np.average(b[ok], weights=w)) ** 2))
    tau2 = max((q - ok.sum() + 1) / (w.sum() - np.sum(w**2) / w.sum() + 1e-12), 1e-2)
    mu = float(np.average(b[ok], weights=1.0 / (se[ok] ** 2 + tau2)))
    return np.where(ok, (b / se**2 + mu / tau2) / (1.0 / se**2 + 1.0 / tau2), mu)


def _regressors(rows: pd.DataFrame, prices: np.ndarray, info: pd.DataFrame) -> np.ndarray:
    """The prior's regressors: log price ratio, log competitor ratio (0 if unknown), promo, then
    trend, season, holiday, weekday (zero without a timestamp: they cancel in every ratio)."""
    comp = _log(rows["competitor_min_price"].to_numpy(float) / info["comp_ref"].to_numpy())
    x, promo = _log(prices / info["ref_price"].to_numpy()), rows["promo"].fillna(0.0)
    when = rows.get("event_timestamp", pd.Series(EPOCH, index=rows.index))
    t = (when - EPOCH).dt.days.to_numpy(float) / 365.25
    return np.column_stack(
        [x, np.nan_to_num(comp), promo, t, np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)]
        + [rows["is_holiday"].fillna(0.0)]
        + [(rows["day_of_week"] == d).to_numpy(float) for d in range(1, 7)]
    )


def _prior(rows: pd.DataFrame, series: pd.DataFrame, weight: np.ndarray) -> np.ndarray:
    """Per series: intercept and coefficients of ``_regressors`` by weighted least squares.

    The price, competitor and promo effects are shrunk and sign-clipped, then the intercept is
    refitted so the margin stays unbiased per series.
    """
    code, y = series.index.get_indexer(pd.MultiIndex.from_frame(rows[KEY])), rows["y"].to_numpy()
    x = _regressors(rows, rows["price"].to_numpy(float), series.iloc[code])
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
    coef = beta_all[:, 1:]
    effects = np.column_stack([_shrink(coef[:, j], se_all[:, j]) for j in range(3)])
    coef[:, :3] = np.clip(effects, [-np.inf, 0.0, 0.0], [0.0, np.inf, np.inf])
    total = np.bincount(code, weights=weight, minlength=len(series))
    rest = np.bincount(code, weights=weight * (y - np.sum(x * coef[code], axis=1)))
    level = series["level"].to_numpy(float)  # a series no draw kept falls back to its mean
    return np.column_stack([np.divide(rest, total, out=level.copy(), where=total > 0), coef])


def _design(
    rows: pd.DataFrame, prices: np.ndarray, series: pd.DataFrame, prior: np.ndarray, idx: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Tree features (columns in FEATURES order) at ``prices`` and the prior's base margin."""
    info = series.iloc[idx]
    ref, level, slope = info["ref_price"].to_numpy(), info["level"].to_numpy(), prior[idx, 1]
    effects = _regressors(rows, prices, info)
    col = {name: rows[name].to_numpy(float) for name in [*BASE, "promo"]}
    d = {"log_price_ratio": effects[:, 0], "promo": effects[:, 2]}
    d["log_gap_ratio"] = _log(prices / col["competitor_min_price"])
    d["log_price_change"] = _log(prices / col["last_price"])
    for w in (28, 7):
        units, paid = col[f"units_ma{w}"], _log(col[f"revenue_ma{w}"] / col[f"units_ma{w}"] / ref)
        d[f"log_units_ma{w}"] = _log(units + OFFSET) - level - slope * np.nan_to_num(paid)
    d = col | d | {"series_level": level}
    design = np.column_stack([np.broadcast_to(d[f], len(prices)) for f in FEATURES])
    margin = prior[idx, 0] + np.sum(effects * prior[idx, 1:], axis=1)
    return design, margin.astype(np.float32)  # XGBoost's own precision (and fast path)


@dataclass
class PriceResponseModel:
    """Bootstrap ensemble of monotone XGBoost price responses (a ``PriceResponse``)."""

    boosters: list[xgb.Booster]
    series: pd.DataFrame  # index (product_id, location_id); SERIES columns
    priors: np.ndarray  # (members, series, 13): intercept, slope, cross, promo lift, calendar

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, seed: int = 0, members: int = 5, quick: bool = False
    ) -> PriceResponseModel:
        """Fit on a snapshot-like frame; members resample blocks of 14 periods per series."""
        rows, series = _prepare(frame)
        code = series.index.get_indexer(pd.MultiIndex.from_frame(rows[KEY]))
        block = code * (len(rows) // BLOCK + 1) + rows.groupby(KEY).cumcount().to_numpy() // BLOCK
        blocks = np.unique(block, return_inverse=True)[1]
        price, y = rows["price"].to_numpy(float), rows["y"].to_numpy()
        boosters, priors = [], []
        for m in range(members):
            weight = np.random.default_rng([seed, m]).poisson(1.0, blocks.max() + 1)[blocks] * 1.0
            priors.append(_prior(rows, series, weight))
            keep = weight > 0
            x, margin = _design(rows[keep], price[keep], series, priors[-1], code[keep])
            data = xgb.DMatrix(x, y[keep], weight=weight[keep], base_margin=margin)
            data.feature_names = FEATURES
            boosters.append(xgb.train(_params(seed * 1000 + m, quick), data, 60 if quick else 300))
        return cls(boosters, series, np.stack(priors))

    def _index(self, product: str, location: str) -> int:
        try:
            return int(self.series.index.get_loc((str(product), str(location))))
        except KeyError:
            raise KeyError(f"no price response fitted for ({product}, {location})") from None

    def _log_units(self, rows: pd.DataFrame, idx: np.ndarray, prices: np.ndarray) -> np.ndarray:
        """Member log units (members, n, K) at prices (n, K), constant-elasticity tails outside."""
        info = self.series.iloc[idx]
        lo, hi = info["min_price"].to_numpy() * (1 - PAD), info["max_price"].to_numpy() * (1 + PAD)
        clipped = np.clip(prices, lo[:, None], hi[:, None])
        grid = np.column_stack([clipped, lo, lo / INNER, hi * INNER, hi])
        n, k = grid.shape
        flat = rows.iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
        above = np.maximum(_log(prices / hi[:, None]), 0.0)
        below = np.minimum(_log(prices / lo[:, None]), 0.0)
        out = []
        for booster, prior in zip(self.boosters, self.priors, strict=True):
            design, margin = _design(flat, grid.ravel(), self.series, prior, np.repeat(idx, k))
            pred = booster.inplace_predict(design, base_margin=margin).reshape(n, k)
            edge = (pred[:, [-3, -1]] - pred[:, [-4, -2]]) / ARC_SPAN  # arcs at lo, hi
            out.append(pred[:, :-4] + edge[:, 1:] * above + edge[:, :1] * below)
        return np.stack(out)

    def _context_log_units(
        self, product: str, location: str, prices: Any, context: DemandContext
    ) -> np.ndarray:
        """Member log units (members, K) at ``prices`` then the reference, for one context.

        Features come from ``context.features``; the context's competitor price (when known)
        and promo override them. Non-price features cancel in the ratio (additive by design).
        """
        given = {k: v for k, v in context.features.items() if v is not None}
        row = {name: float(given.get(name, np.nan)) for name in BASE}
        if np.isfinite(context.competitor_price) and context.competitor_price > 0:
            row["competitor_min_price"] = float(context.competitor_price)
        frame = pd.DataFrame([{**row, "promo": float(context.promo)}])
        grid = np.append(np.atleast_1d(np.asarray(prices, dtype=float)), context.ref_price)
        idx = np.array([self._index(product, location)])
        return self._log_units(frame, idx, grid[None, :])[:, 0, :]

    def member_ratios(
        self, product: str, location: str, prices: np.ndarray, context: DemandContext
    ) -> np.ndarray:
        """q(p) / q(ref) of each member, (members, prices): the response's uncertainty."""
        log_q = self._context_log_units(product, location, prices, context)
        return np.exp(log_q[:, :-1] - log_q[:, -1:])

    def ratio(
        self, product: str, location: str, prices: np.ndarray, context: DemandContext
    ) -> np.ndarray:
        """q(p) / q(context.ref_price) from the ensemble's mean log units."""
        log_q = self._context_log_units(product, location, prices, context).mean(axis=0)
        return np.exp(log_q[:-1] - log_q[-1])

    def arc_elasticity(
        self, product: str, location: str, context: DemandContext, price: float | None = None
    ) -> float:
        """Log arc elasticity over +-5% around ``price`` (default: the context's reference)."""
        p = context.ref_price if price is None else float(price)
        log_q = self._context_log_units(product, location, [p * (1 - ARC), p * (1 + ARC)], context)
        return float((log_q[:, 1] - log_q[:, 0]).mean() / ARC_SPAN)

    def confidence(self, product: str, location: str, prices: np.ndarray) -> np.ndarray:
        """1 inside the observed price range +-10%, halving with every further 10% beyond it."""
        info = self.series.iloc[self._index(product, location)]
        p = np.asarray(prices, dtype=float)
        above = _log(p / (info["max_price"] * (1 + PAD)))
        below = _log(info["min_price"] * (1 - PAD) / p)
        return 0.5 ** (np.maximum(np.maximum(above, below), 0.0) / math.log(1 + PAD))

    def elasticities(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per series: arc elasticity at its reference (median) price with its latest features.

        ``lower``/``upper`` are the 5% and 95% quantiles over the ensemble's members.
        """
        rows = frame.assign(**{k: frame[k].astype(str) for k in KEY})
        rows = rows.sort_values([*KEY, "event_timestamp"], kind="stable").groupby(KEY).tail(1)
        idx = self.series.index.get_indexer(pd.MultiIndex.from_frame(rows[KEY]))
        rows, idx = rows[idx >= 0].reset_index(drop=True), idx[idx >= 0]
        ref = self.series["ref_price"].to_numpy()[idx]
        base = rows.reindex(columns=BASE).assign(promo=0.0)
        log_q = self._log_units(base, idx, np.column_stack([ref * (1 - ARC), ref * (1 + ARC)]))
        arcs = (log_q[:, :, 1] - log_q[:, :, 0]) / ARC_SPAN
        return rows[KEY].assign(
            elasticity=arcs.mean(axis=0),
            lower=np.quantile(arcs, 0.05, axis=0),
            upper=np.quantile(arcs, 0.95, axis=0),
            ref_price=ref,
        )

    def save(self, directory: str | Path) -> list[Path]:
        """Members as XGBoost JSON plus one metadata JSON; same data and seed, same bytes."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / f"member_{m:02d}.json" for m in range(len(self.boosters))]
        for booster, path in zip(self.boosters, paths, strict=True):
            booster.save_model(path)
        table = self.series.reset_index()
        meta = {
            "features": FEATURES, "monotone": MONOTONE, "priors": self.priors.tolist(),
            "series": {c: table[c].tolist() for c in [*KEY, *SERIES]},
        }  # fmt: skip
        paths.append(out / META)
        paths[-1].write_text(json.dumps(meta, sort_keys=True, indent=1))
        return paths

    @classmethod
    def load(cls, directory: str | Path) -> PriceResponseModel:
        """The model ``save`` wrote to ``directory``."""
        meta = json.loads((Path(directory) / META).read_text())
        if meta["features"] != FEATURES:
            raise ValueError(f"{directory}: saved with other features: {meta['features']}")
        priors = np.asarray(meta["priors"], dtype=float)
        boosters = [xgb.Booster() for _ in range(len(priors))]
        for m, booster in enumerate(boosters):
            booster.load_model(Path(directory) / f"member_{m:02d}.json")
        return cls(boosters, pd.DataFrame(meta["series"]).set_index(KEY)[SERIES], priors)
