"""The ladder of allowed prices for one step: the only prices anything may set.

The hard rules fix a product's price grid: geometric points by ``ladder_step`` between the hard
floor and ceiling (both included, at most ``max_points``, in cents, snapped to the price endings).
Soft rules then keep the part of that grid inside their range; the price in effect is added when
allowed so "keep the price" stays possible. Because every step's ladder is a subset of one fixed
grid (plus the price in effect), a dynamic-programming oracle can enumerate exactly the prices the
policies see. Hard rules always win; a soft rule that would leave nothing gives way as little as
possible: the ladder holds only the allowed price closest to the rule's range, and the conflict
is reported, never hidden. Giving way (rather than dropping the rule) keeps the ladder's floor
and ceiling non-decreasing in the competitor's price, which is what lets the service promise
that a dearer competitor never lowers our price. ``ladder_bounds`` applies the same rules and
the same give-way off the grid, at many competitor prices at once, for the agent's observation.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeGuard

import numpy as np

from pricing.policy.guardrails import GuardrailConfig, ProductLimits

#: Human names of the rule setting each side of a range, for conflict sentences.
_LABELS = {
    ("cost_floor", "lo"): "cost floor",
    ("min_price", "lo"): "min price",
    ("max_price", "hi"): "max price",
    ("observed_range", "lo"): "observed-range floor",
    ("observed_range", "hi"): "observed-range ceiling",
    ("max_change", "lo"): "max-change floor",
    ("max_change", "hi"): "max-change ceiling",
    ("competitor_band", "lo"): "competitor-band floor",
    ("competitor_band", "hi"): "competitor-band ceiling",
}
_RULE_NAMES = {"max_change": "max change", "competitor_band": "competitor band"}
_EPS = 1e-9


def _ceil_cents(value: float) -> float:
    return math.ceil(round(value * 100.0, 6)) / 100.0


def _floor_cents(value: float) -> float:
    return math.floor(round(value * 100.0, 6)) / 100.0


def _valid(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value) and value > 0


@dataclass(frozen=True, eq=False)
class Ladder:
    """Allowed prices of one step (sorted, unique, in cents, never empty) and why.

    ``applied``: the rules that bound the final range; ``conflicts``: rules dropped or overruled,
    as sentences; ``not_applicable``: rules skipped for lack of data (no unit cost, no price in
    effect, no competitor price).
    """

    prices: np.ndarray
    hard_bounds: tuple[float, float]
    applied: tuple[str, ...]
    conflicts: tuple[str, ...]
    not_applicable: tuple[str, ...] = ()
    _values: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_values", tuple(self.prices.tolist()))

    def nearest(self, price: float) -> float:
        """The ladder price closest to ``price`` (the lower one on a tie)."""
        values = self._values
        i = bisect.bisect_left(values, price)
        if i == 0:
            return values[0]
        if i == len(values) or price - values[i - 1] <= values[i] - price:
            return values[i - 1]
        return values[i]

    def contains(self, price: float) -> bool:
        """Whether ``price`` is one of the allowed prices."""
        return abs(self.nearest(price) - price) < 1e-6


@dataclass(frozen=True)
class _Range:
    lo: float
    hi: float
    lo_rules: tuple[str, ...]
    hi_rules: tuple[str, ...]


@lru_cache(maxsize=4096)
def _hard_range(limits: ProductLimits, config: GuardrailConfig) -> _Range:
    """The tightest floor and ceiling of the hard rules (in cents), with the rules setting them."""
    floors = [("observed_range", limits.observed_min * (1.0 - config.observed_range))]
    ceilings = [("observed_range", limits.observed_max * (1.0 + config.observed_range))]
    cost = limits.unit_cost
    if cost is not None and limits.has_cost:
        floors.append(("cost_floor", cost * (1.0 + config.min_margin)))
    floors += [("min_price", v) for v in (limits.min_price, config.min_price) if _valid(v)]
    ceilings += [("max_price", v) for v in (limits.max_price, config.max_price) if _valid(v)]
    lo = max(_ceil_cents(v) for _, v in floors)
    hi = min(_floor_cents(v) for _, v in ceilings)
    lo_rules = tuple(dict.fromkeys(r for r, v in floors if _ceil_cents(v) == lo))
    hi_rules = tuple(dict.fromkeys(r for r, v in ceilings if _floor_cents(v) == hi))
    return _Range(lo, hi, lo_rules, hi_rules)


def _snap_to_endings(
    points: np.ndarray, lo: float, hi: float, endings: tuple[float, ...]
) -> np.ndarray | None:
    """Each point moved to the nearest price with an allowed ending inside [lo, hi] (or None)."""
    dollars = np.floor(points)[:, None, None] + np.array([-1.0, 0.0, 1.0])[None, :, None]
    candidates = np.round(dollars + np.asarray(endings)[None, None, :], 2).reshape(len(points), -1)
    inside = (candidates >= lo - _EPS) & (candidates <= hi + _EPS) & (candidates > 0)
    if not inside.any():
        return None
    distance = np.where(inside, np.abs(candidates - points[:, None]), np.inf)
    best = candidates[np.arange(len(points)), np.argmin(distance, axis=1)]
    return np.unique(best[np.isfinite(distance.min(axis=1))])


@lru_cache(maxsize=1024)
def _grid(
    lo: float, hi: float, step: float, max_points: int, endings: tuple[float, ...] | None
) -> tuple[np.ndarray, bool]:
    """Geometric points from lo to hi (both in), in cents; whether the endings could be kept."""
    if hi <= lo:
        points = np.array([lo])
    else:
        count = min(max_points, math.ceil(math.log(hi / lo) / math.log1p(step) - _EPS) + 1)
        points = np.unique(np.round(np.geomspace(lo, hi, count), 2))
    snapped = _snap_to_endings(points, lo, hi, endings) if endings else None
    out = points if snapped is None else snapped
    out.setflags(write=False)  # shared by the cache
    return out, endings is None or snapped is not None


def price_grid(limits: ProductLimits, config: GuardrailConfig) -> np.ndarray:
    """Every price any ladder of this product can hold, except an off-grid price in effect."""
    hard = _hard_range(limits, config)
    if hard.lo > hard.hi:
        return np.array([hard.lo])
    return _grid(hard.lo, hard.hi, config.ladder_step, config.max_points, config.price_endings)[0]


def _soft_ranges(
    config: GuardrailConfig, current: float | None, competitor: float | None
) -> list[tuple[str, float, float]]:
    """Soft ranges in priority order (most important first): max change, competitor band."""
    out = []
    if config.max_change is not None and current is not None:
        m = config.max_change
        out.append(("max_change", _ceil_cents(current * (1 - m)), _floor_cents(current * (1 + m))))
    if config.competitor_band is not None and competitor is not None:
        low, high = config.competitor_band
        out.append(
            ("competitor_band", _ceil_cents(competitor * low), _floor_cents(competitor * high))
        )
    return out


def _give_way(
    lo: float | np.ndarray, hi: float | np.ndarray, a: float | np.ndarray, b: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The give-way rule: [lo, hi] narrowed by a soft rule's range [a, b], or, where they do not
    meet, the edge of [lo, hi] nearest to [a, b] (elementwise)."""
    below, above = np.less(b, lo), np.greater(a, hi)
    new_lo = np.where(below, lo, np.where(above, hi, np.maximum(lo, a)))
    new_hi = np.where(below, lo, np.where(above, hi, np.minimum(hi, b)))
    return new_lo, new_hi


def _nearest_allowed(pool: np.ndarray, bounds: _Range, lo: float, hi: float) -> float:
    """The allowed price nearest to the range [lo, hi] (the lower one on a tie)."""
    inside = _inside(pool, bounds)
    distance = np.maximum(np.maximum(lo - inside, inside - hi), 0.0)
    return float(inside[np.argmin(distance)])


def _label(rule: str, side: str) -> str:
    """A rule's name for one side of the range (a held price sets both sides)."""
    other = "hi" if side == "lo" else "lo"
    return _LABELS.get((rule, side)) or _LABELS.get((rule, other), rule.replace("_", " "))


def _clamp_sentence(rule: str, lo: float, hi: float, bounds: _Range, held: float) -> str:
    name, tail = _RULE_NAMES[rule], f"held at {held:.2f}, the closest allowed price"
    if hi < bounds.lo:
        side = _label(bounds.lo_rules[0], "lo")
        return f"{side} {bounds.lo:.2f} is above the {name}'s top {hi:.2f}: {tail}"
    if lo > bounds.hi:
        side = _label(bounds.hi_rules[0], "hi")
        return f"{side} {bounds.hi:.2f} is below the {name}'s bottom {lo:.2f}: {tail}"
    return (
        f"no allowed price between {max(lo, bounds.lo):.2f} and {min(hi, bounds.hi):.2f} "
        f"under the {name}: {tail}"
    )


def _tighten(bounds: _Range, rule: str, lo: float, hi: float) -> _Range:
    """``bounds`` narrowed by one soft rule's range; the rule is recorded where it binds."""
    new_lo, lo_rules, new_hi, hi_rules = bounds.lo, bounds.lo_rules, bounds.hi, bounds.hi_rules
    if lo > new_lo + _EPS:
        new_lo, lo_rules = lo, (rule,)
    elif abs(lo - new_lo) <= _EPS:
        lo_rules = (*lo_rules, rule)
    if hi < new_hi - _EPS:
        new_hi, hi_rules = hi, (rule,)
    elif abs(hi - new_hi) <= _EPS:
        hi_rules = (*hi_rules, rule)
    return _Range(new_lo, new_hi, lo_rules, hi_rules)


def _inside(pool: np.ndarray, bounds: _Range) -> np.ndarray:
    """The points of a sorted pool within the bounds."""
    first = int(pool.searchsorted(bounds.lo - _EPS, side="left"))
    return pool[first : int(pool.searchsorted(bounds.hi + _EPS, side="right"))]


def _missing_data(
    limits: ProductLimits,
    config: GuardrailConfig,
    current_price: float | None,
    competitor_price: float | None,
) -> tuple[str, ...]:
    """Rules that are on but cannot be checked: their input is unknown."""
    missing = [] if limits.has_cost else ["cost_floor"]
    if config.max_change is not None and not _valid(current_price):
        missing.append("max_change")
    if config.competitor_band is not None and not _valid(competitor_price):
        missing.append("competitor_band")
    return tuple(missing)


def build_ladder(
    limits: ProductLimits,
    config: GuardrailConfig,
    current_price: float | None = None,
    competitor_price: float | None = None,
) -> Ladder:
    """The prices allowed this step given the price in effect and the competitor's price."""
    hard = _hard_range(limits, config)
    missing = _missing_data(limits, config, current_price, competitor_price)
    if hard.lo > hard.hi:
        lo_side, hi_side = _LABELS[(hard.lo_rules[0], "lo")], _LABELS[(hard.hi_rules[0], "hi")]
        conflict = (
            f"{lo_side} {hard.lo:.2f} is above the {hi_side} {hard.hi:.2f}: "
            f"only the floor price {hard.lo:.2f} is allowed"
        )
        prices = np.array([hard.lo])
        return Ladder(prices, (hard.lo, hard.lo), hard.lo_rules, (conflict,), missing)
    endings = config.price_endings
    grid, endings_kept = _grid(hard.lo, hard.hi, config.ladder_step, config.max_points, endings)
    conflicts = []
    if not endings_kept:
        shown = "/".join(f".{round(e * 100):02d}" for e in endings or ())
        conflicts.append(
            f"no price ending in {shown} between {hard.lo:.2f} and {hard.hi:.2f}: "
            "price endings dropped"
        )
    current = round(current_price, 2) if _valid(current_price) else None
    competitor = competitor_price if _valid(competitor_price) else None
    pool = grid
    if current is not None and hard.lo - _EPS <= current <= hard.hi + _EPS:
        at = int(np.searchsorted(grid, current))
        if not (at < len(grid) and abs(grid[at] - current) < 1e-6):
            pool = np.concatenate((grid[:at], [current], grid[at:]))
    bounds = hard
    for rule, lo, hi in _soft_ranges(config, current, competitor):
        candidate = _tighten(bounds, rule, lo, hi)
        if lo > hi + _EPS or not len(_inside(pool, candidate)):
            kept_lo, kept_hi = _give_way(bounds.lo, bounds.hi, lo, hi)
            held = _nearest_allowed(pool, bounds, float(kept_lo), float(kept_hi))
            conflicts.append(_clamp_sentence(rule, lo, hi, bounds, held))
            side = bounds.lo_rules if held <= lo else bounds.hi_rules  # what pushed us off it
            rules = tuple(dict.fromkeys((*side, rule)))
            candidate = _Range(held, held, rules, rules)
        bounds = candidate
    prices = _inside(pool, bounds)
    prices.setflags(write=False)
    applied = list(dict.fromkeys(bounds.lo_rules + bounds.hi_rules))
    if endings and endings_kept:
        applied.append("price_ending")
    return Ladder(prices, (hard.lo, hard.hi), tuple(applied), tuple(conflicts), missing)


def ladder_bounds(
    limits: ProductLimits,
    config: GuardrailConfig,
    current_price: float | None,
    competitor_prices: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate floor and ceiling of the ladder at each competitor price (vectorized).

    The same rules as ``build_ladder`` in the same order, giving way the same way, without
    snapping to the grid: cheap enough to ask at many competitor prices at once, for the
    agent's observation ("what would you do were the competitor here?"), never for choosing a
    price. Both are non-decreasing in the competitor price.
    """
    hard = _hard_range(limits, config)
    lo = np.full(len(competitor_prices), hard.lo)
    hi = np.full(len(competitor_prices), max(hard.hi, hard.lo))
    current = round(current_price, 2) if _valid(current_price) else None
    for _rule, a, b in _soft_ranges(config, current, None):  # max change
        lo, hi = _give_way(lo, hi, np.full_like(lo, a), np.full_like(hi, b))
    if config.competitor_band is not None:
        band_lo, band_hi = config.competitor_band
        c = np.asarray(competitor_prices, dtype=float)
        lo, hi = _give_way(lo, hi, c * band_lo, c * band_hi)
    return lo, hi
