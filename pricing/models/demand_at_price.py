"""The single source of "demand at this price": forecast at a reference price x response.

``expected_units(product, location, price, context)`` is what the agent's environment, the
myopic policy, the service and the what-if call; nothing computes demand a second way. The
forecast (``context.base_units``) holds at ``context.ref_price``; the price response scales it
by q(p)/q(p_ref). A response is either the simulator's truth or a fitted model. A fitted one is
only trusted near the prices it saw: ``untrusted_reason`` says where a figure must not be given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from pricing.market.demand import price_factor, true_expected_units
from pricing.market.params import ProductParams


class PriceResponse(Protocol):
    """q(p) / q(p_ref): how units scale when the price moves away from the reference."""

    def ratio(
        self, product: str, location: str, prices: np.ndarray, context: DemandContext
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class DemandContext:
    """What is known when pricing one (product, location) for one period."""

    when: pd.Timestamp
    ref_price: float
    base_units: float
    competitor_price: float
    response: PriceResponse
    promo: float = 0.0
    features: Mapping[str, float] = field(default_factory=dict)


def expected_units(
    product: str, location: str, price: float | np.ndarray | Sequence[float], context: DemandContext
) -> np.ndarray:
    """Expected units at each price (an array shaped like ``price``)."""
    prices = np.asarray(price, dtype=float)
    ratio = context.response.ratio(product, location, np.atleast_1d(prices), context)
    return (context.base_units * ratio).reshape(prices.shape)


#: The least response confidence (``PriceResponseModel.confidence``: 1 within the observed
#: prices +-10%, halving with every further 10%) at which demand at a price is still given:
#: two halvings, about 21% past that band. Farther out the constant-elasticity tail would be
#: extrapolated without bound (at $0.01 it once answered 64 billion units); no figure, with the
#: reason, is more honest than a made-up one.
MIN_TRUSTED_CONFIDENCE = 0.25


def untrusted_reason(
    price: float, confidence: float, observed_min: float, observed_max: float
) -> str | None:
    """Why demand at ``price`` is not trusted enough to give a figure (None when it is)."""
    if confidence >= MIN_TRUSTED_CONFIDENCE:
        return None
    if price < observed_min:
        gap, side, edge = 1.0 - price / observed_min, "below the lowest", observed_min
    else:
        gap, side, edge = price / observed_max - 1.0, "above the highest", observed_max
    if observed_min == observed_max:
        side = f"{side.split()[0]} the only"
    return (
        f"price {price:.2f} is {gap:.1%} {side} observed price {edge:.2f}: the price response "
        f"is not trusted there (response confidence {confidence:.3f} < "
        f"{MIN_TRUSTED_CONFIDENCE})"
    )


@dataclass(frozen=True)
class TrueResponse:
    """The simulator's true price response (per product; location-independent)."""

    params: Mapping[str, ProductParams]

    def ratio(
        self, product: str, location: str, prices: np.ndarray, context: DemandContext
    ) -> np.ndarray:
        p = self.params[product]
        at = price_factor(p, prices, context.competitor_price, context.promo)
        ref = price_factor(p, context.ref_price, context.competitor_price, context.promo)
        return np.asarray(at, dtype=float) / float(ref)


def true_context(
    params: ProductParams,
    when: pd.Timestamp,
    ref_price: float,
    competitor_price: float,
    promo: float = 0.0,
    response: PriceResponse | None = None,
    seasonal: float | None = None,
) -> DemandContext:
    """A context whose base forecast is the true expected units at ``ref_price``.

    ``seasonal`` (``seasonal_factor`` at ``when``) may be passed when already computed for a
    whole date range, which is much faster than one date at a time.
    """
    if seasonal is None:
        base = float(true_expected_units(params, ref_price, competitor_price, when, promo))
    else:
        base = seasonal * float(price_factor(params, ref_price, competitor_price, promo))
    return DemandContext(
        when=when,
        ref_price=ref_price,
        base_units=base,
        competitor_price=competitor_price,
        response=response or TrueResponse({params.product_id: params}),
        promo=promo,
    )
