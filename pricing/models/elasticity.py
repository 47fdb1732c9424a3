"""Price response: monotone XGBoost on log units, boosted from a per-series log-linear prior.

Trees that tell series apart only by a numeric level learn one pooled elasticity, so each
bootstrap member first fits every series a weighted log-log regression (price, competitor, promo,
trend, season, holiday, weekday), shrinks the price, competitor and promo effects toward their
means (empirical Bayes; price slope <= 0, the others >= 0) and uses it as XGBoost's base margin.
The trees add what the prior misses; price features (non-increasing in each, promo
non-decreasing) may only interact with each other, so the price shape they add is pooled and
cannot chase per-series noise. Moving averages enter deflated by the prior (units at the
reference price), else they carry past prices into the price change. Stock-out rows are
dropped: they censor demand.

The trees are only asked inside a series' observed price range. Beyond it they would apply
splits the pooled data placed where this series has none (on retail_price, 10% below the
lowest price they answered 81 times the units for five series), so the response continues from
the edge with each member's own prior slope (the series' log-log elasticity, shrunk; the pooled
prior's for a series without one): a constant-elasticity tail no steeper than the series' own
rows say. ``confidence`` is 1 within the observed range +-10% and halves with every further
10% beyond it.

A series whose own rows identify no price slope (one price only, or too few rows) takes the
pooled prior (``price_prior``): its members' slopes spread over the prior, so its band is
the prior's, and ``sources`` flags it; its response is the prior's at every price but its one
observed price, so its ``confidence`` halves with every 10% away from that price.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from pricing.data.schemas import KEY
from pricing.models.demand_at_price import DemandContext
from pricing.models.elasticity_design import (
    ARC,
    ARC_SPAN,
    BASE,
    BLOCK,
    FEATURES,
    FITTED,
    MONOTONE,
    PAD,
    POOLED,
    PRICE_FEATURES,
    SERIES,
    Cols,
    PricePrior,
    columns,
    design,
    fit_prior,
    prepare_rows,
    price_design,
    price_prior,
    price_trees_booster,
    safe_log,
    series_info,
)
from pricing.models.tree_eval import NUMPY_CELLS, CompiledTrees

META = "elasticity_model.json"


def _params(seed: int, quick: bool) -> dict[str, Any]:
    groups = [[i for i, f in enumerate(FEATURES) if (f in PRICE_FEATURES) == g] for g in (1, 0)]
    return {
        "objective": "reg:squarederror", "tree_method": "hist", "nthread": 1, "seed": seed,
        "max_depth": 3 if quick else 4, "eta": 0.1 if quick else 0.05, "subsample": 0.8,
        "colsample_bytree": 0.8, "min_child_weight": 20, "interaction_constraints": str(groups),
        "monotone_constraints": str(tuple(MONOTONE.get(f, 0) for f in FEATURES)),
    }  # fmt: skip


@dataclass
class PriceResponseModel:
    """Bootstrap ensemble of monotone XGBoost price responses (a ``PriceResponse``)."""

    boosters: list[xgb.Booster]
    series: pd.DataFrame  # index (product_id, location_id); SERIES columns
    priors: np.ndarray  # (members, series, 13): intercept, slope, cross, promo lift, calendar
    prior: PricePrior | None = None  # what series without a slope of their own took
    prior_only: np.ndarray | None = None  # (series,) bool: those series
    _fast: tuple[xgb.Booster | None, CompiledTrees | None] | None = field(
        default=None, repr=False, compare=False
    )
    _arrays: Cols | None = field(default=None, repr=False, compare=False)

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, seed: int = 0, members: int = 5, quick: bool = False
    ) -> PriceResponseModel:
        """Fit on a snapshot-like frame; members resample blocks of 14 periods per series."""
        rows, series = prepare_rows(frame)
        code = series.index.get_indexer(pd.MultiIndex.from_frame(rows[KEY]))
        block = code * (len(rows) // BLOCK + 1) + rows.groupby(KEY).cumcount().to_numpy() // BLOCK
        blocks = np.unique(block, return_inverse=True)[1]
        price, y = rows["price"].to_numpy(float), rows["y"].to_numpy()
        prior, fitted = price_prior(rows, series)
        slopes = np.where(~fitted[None, :], prior.member_slopes(members)[:, None], np.nan)
        boosters, priors = [], []
        for m in range(members):
            weight = np.random.default_rng([seed, m]).poisson(1.0, blocks.max() + 1)[blocks] * 1.0
            priors.append(fit_prior(rows, series, weight, slopes[m]))
            keep = weight > 0
            cols = {c: v[keep] for c, v in columns(rows).items()}
            x, margin = design(cols, price[keep], series, priors[-1], code[keep])
            data = xgb.DMatrix(x, y[keep], weight=weight[keep], base_margin=margin)
            data.feature_names = FEATURES
            boosters.append(xgb.train(_params(seed * 1000 + m, quick), data, 60 if quick else 300))
        return cls(boosters, series, np.stack(priors), prior, ~fitted)

    def _index(self, product: str, location: str) -> int:
        try:
            return int(self.series.index.get_loc((str(product), str(location))))
        except KeyError:
            raise KeyError(f"no price response fitted for ({product}, {location})") from None

    def log_units(
        self, rows: pd.DataFrame | Cols, idx: np.ndarray, prices: np.ndarray, fast: bool = False
    ) -> np.ndarray:
        """Member log units (members, n, K) at prices (n, K): the trees inside each series'
        observed prices, each member's prior slope beyond them (the module's docstring).

        ``fast`` evaluates only the price trees (see ``price_trees_booster``): exact up to a
        constant per item, so only differences within an item's row are meaningful.
        """
        if self._arrays is None:  # the series table as arrays, once (serving asks per request)
            self._arrays = {c: self.series[c].to_numpy(float) for c in SERIES}
        table = self._arrays
        info = series_info(table, idx)
        prices = np.asarray(prices, dtype=float)
        grid = np.clip(prices, info["min_price"][:, None], info["max_price"][:, None])
        n, k = grid.shape
        cols = rows if isinstance(rows, dict) else columns(rows)
        flat = {c: v[np.repeat(np.arange(n), k)] for c, v in cols.items()}
        at, members = np.repeat(idx, k), len(self.boosters)
        if fast:
            if self._fast is None:
                booster = price_trees_booster(self.boosters)
                self._fast = (booster, None if booster is None else CompiledTrees(booster))
            matrix, margins = price_design(flat, grid.ravel(), table, self.priors, at)
            booster, trees = self._fast
            if trees is not None and len(matrix) * trees.trees <= NUMPY_CELLS:
                margins = trees.predict(matrix, margins)  # no per-call cost for a few rows
            elif booster is not None:
                margins = booster.inplace_predict(matrix, base_margin=margins)
            pred: np.ndarray = np.asarray(margins).reshape(n * k, members).T
        else:
            out = []
            for booster, prior in zip(self.boosters, self.priors, strict=True):
                matrix, margin = design(flat, grid.ravel(), table, prior, at)
                out.append(booster.inplace_predict(matrix, base_margin=margin))
            pred = np.stack(out)
        beyond = safe_log(prices / grid)  # log distance past the observed edge, 0 inside
        return pred.reshape(members, n, k) + self.priors[:, idx, 1][:, :, None] * beyond

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
        return self.log_units(frame, idx, grid[None, :])[:, 0, :]

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

    def sources(self) -> np.ndarray:
        """Per series (the series table's order): ``fitted`` when its own rows gave its price
        slope, else the prior's source (``pooled_prior`` or ``default_prior``)."""
        prior = self.prior.source if self.prior is not None else POOLED
        return np.where(self._prior_only(), prior, FITTED)

    def _prior_only(self) -> np.ndarray:
        if self.prior_only is not None:
            return self.prior_only
        return (self.series["min_price"] >= self.series["max_price"]).to_numpy()

    def confidence(self, product: str, location: str, prices: np.ndarray) -> np.ndarray:
        """1 inside the observed price range +-10%, halving with every further 10% beyond it;
        for a prior-only series, halving with every 10% away from its observed range."""
        index = self._index(product, location)
        info, pad = self.series.iloc[index], 0.0 if self._prior_only()[index] else PAD
        p = np.asarray(prices, dtype=float)
        above = safe_log(p / (info["max_price"] * (1 + pad)))
        below = safe_log(info["min_price"] * (1 - pad) / p)
        return 0.5 ** (np.maximum(np.maximum(above, below), 0.0) / math.log(1 + PAD))

    def _latest(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
        """Each fitted series' latest row, its index in the series table, and its features
        without promotion (what the per-series summaries are evaluated on)."""
        rows = frame.assign(**{k: frame[k].astype(str) for k in KEY})
        rows = rows.sort_values([*KEY, "event_timestamp"], kind="stable").groupby(KEY).tail(1)
        idx = self.series.index.get_indexer(pd.MultiIndex.from_frame(rows[KEY]))
        rows, idx = rows[idx >= 0].reset_index(drop=True), idx[idx >= 0]
        return rows, idx, rows.reindex(columns=BASE).assign(promo=0.0)

    def elasticities(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per series: arc elasticity at its reference (median) price with its latest features.

        ``lower``/``upper`` are the 5% and 95% quantiles over the ensemble's members;
        ``source`` says whether the series' own prices gave it (``sources``).
        """
        rows, idx, base = self._latest(frame)
        ref = self.series["ref_price"].to_numpy()[idx]
        log_q = self.log_units(base, idx, np.column_stack([ref * (1 - ARC), ref * (1 + ARC)]))
        arcs = (log_q[:, :, 1] - log_q[:, :, 0]) / ARC_SPAN
        return rows[KEY].assign(
            elasticity=arcs.mean(axis=0),
            lower=np.quantile(arcs, 0.05, axis=0),
            upper=np.quantile(arcs, 0.95, axis=0),
            ref_price=ref,
            source=self.sources()[idx],
        )

    def below_edge_ratios(self, frame: pd.DataFrame, step: float = PAD) -> pd.Series:
        """Per series (by key, at ``frame``'s latest rows): units ``step`` below its lowest
        observed price over units at it. The response is trusted that far, so a large ratio
        there is a steep extrapolation that recommendations and what-ifs would act on."""
        rows, idx, base = self._latest(frame)
        low = self.series["min_price"].to_numpy()[idx]
        log_q = self.log_units(base, idx, np.column_stack([low * (1 - step), low])).mean(axis=0)
        keys = pd.MultiIndex.from_frame(rows[KEY])
        return pd.Series(np.exp(log_q[:, 0] - log_q[:, 1]), index=keys, name="below_edge_ratio")

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
            "price_prior": None if self.prior is None else asdict(self.prior),
            "prior_only": self._prior_only().tolist(),
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
            booster.set_param({"nthread": 1})  # small batches: threads only add latency
        series = pd.DataFrame(meta["series"]).set_index(KEY)[SERIES]
        prior = meta.get("price_prior")  # absent from models saved before it was recorded
        only = meta.get("prior_only")
        return cls(
            boosters,
            series,
            priors,
            None if prior is None else PricePrior(**prior),
            None if only is None else np.asarray(only, dtype=bool),
        )
