"""Which drivers moved a price, and which held it back.

A driver's effect is measured against a counterfactual: the price the same policy chooses on
the same ladder with that one driver made neutral (ample stock, the competitor at our price,
the catalogue's median elasticity, no promotion). ``effect = chosen - counterfactual``: a
positive effect means the driver raised the price, a negative one that it lowered it.

Roles, given the move from the current price to the chosen one (a change under
:data:`KEEP_TOLERANCE` is a keep, as the explanation's head says):

- a raise or a cut: a driver *pushed* when its effect has the sign of the move (without it the
  price would have moved less, or the other way) and *held back* when it has the opposite sign
  (without it the price would have moved further);
- a keep: every driver with an effect *holds* the price (without it the price would have moved,
  up or down), so all of them count as pushed and none as held back;
- a driver whose counterfactual is within :data:`KEEP_TOLERANCE` of the chosen price has no
  effect: it stays in the numbers (ordered last) but is never claimed as a reason.

Order: pushed strongest first, then held back strongest first, then no effect; ties by name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

STOCK, COMPETITOR, ELASTICITY, PROMOTION = "stock", "competitor", "elasticity", "promotion"

#: A relative change smaller than this is no change (0.05%: under a cent on a 20.00 price).
KEEP_TOLERANCE = 0.0005

#: Decimals kept in counterfactual prices and effects: sub-cent, so a cheap item's one-step
#: move is not rounded away, without float noise.
DIGITS = 4


@dataclass(frozen=True)
class Driver:
    """One driver's share in a decision: the price without it and the signed difference."""

    name: str
    counterfactual_price: float
    effect: float  # chosen - counterfactual_price, in currency


def direction(chosen: float, current: float) -> int:
    """+1 for a raise, -1 for a cut, 0 for a keep (or no price in effect to move from)."""
    if not current > 0 or not math.isfinite(chosen):
        return 0
    move = chosen / current - 1.0
    return 0 if abs(move) < KEEP_TOLERANCE else (1 if move > 0 else -1)


def sign(driver: Driver, chosen: float) -> int:
    """The driver's direction (+1 raised, -1 lowered), 0 when it has no effect."""
    return direction(chosen, driver.counterfactual_price)


def _strongest_first(group: Iterable[Driver]) -> list[Driver]:
    return sorted(group, key=lambda d: (-abs(d.effect), d.name))


def partition(
    drivers: Sequence[Driver], chosen: float, current: float
) -> tuple[list[Driver], list[Driver]]:
    """The drivers that pushed the price (in the direction it moved, or holding it on a keep)
    and those that held it back, each strongest first; drivers without effect in neither."""
    move = direction(chosen, current)
    pushed = [d for d in drivers if sign(d, chosen) != 0 and move in (0, sign(d, chosen))]
    held = [d for d in drivers if move != 0 and sign(d, chosen) == -move]
    return _strongest_first(pushed), _strongest_first(held)


def _ordered(drivers: list[Driver], chosen: float, current: float) -> list[Driver]:
    pushed, held = partition(drivers, chosen, current)
    quiet = sorted((d for d in drivers if sign(d, chosen) == 0), key=lambda d: d.name)
    return pushed + held + quiet


def attribute_many(
    chosen: np.ndarray, current: np.ndarray, counterfactuals: Mapping[str, np.ndarray]
) -> list[list[Driver]]:
    """:func:`attribute` over a batch: one array per driver (an entry per item; NaN where the
    driver does not apply to that item). The arithmetic runs over the whole batch at once; only
    the ordering of each item's few drivers is per item."""
    chosen, current = np.asarray(chosen, float), np.asarray(current, float)
    if chosen.shape != current.shape or chosen.ndim != 1:
        raise ValueError(
            f"chosen {chosen.shape} and current {current.shape} must be 1-d and of one length"
        )
    if not np.isfinite(chosen).all():
        bad = int(np.flatnonzero(~np.isfinite(chosen))[0])
        raise ValueError(f"chosen price must be finite, got {chosen[bad]} at item {bad}")
    names = list(counterfactuals)
    if not names:
        return [[] for _ in chosen]
    table = np.stack([np.asarray(counterfactuals[n], float) for n in names])  # drivers x items
    if table.shape[1] != len(chosen):
        raise ValueError(
            f"counterfactuals have {table.shape[1]} items, chosen prices {len(chosen)}"
        )
    present = np.isfinite(table)
    prices = np.round(table, DIGITS)
    effects = np.round(chosen - table, DIGITS)
    out = []
    for i, (price, now) in enumerate(zip(chosen.tolist(), current.tolist(), strict=True)):
        drivers = [
            Driver(names[k], float(prices[k, i]), float(effects[k, i]))
            for k in np.flatnonzero(present[:, i])
        ]
        out.append(_ordered(drivers, price, now))
    return out


def attribute(chosen: float, current: float, counterfactuals: Mapping[str, float]) -> list[Driver]:
    """Each driver's effect on the chosen price, ordered as the module says. ``counterfactuals``
    maps a driver to the price chosen with it neutral; a driver is absent (or NaN) when it does
    not apply (no competitor price known, stock already ample...)."""
    arrays = {name: np.array([price], float) for name, price in counterfactuals.items()}
    return attribute_many(np.array([chosen], float), np.array([current], float), arrays)[0]
