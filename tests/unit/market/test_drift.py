"""Market shifts change the simulated market from their start day on, and only then."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.market.drift import MarketShift
from pricing.market.generate import generate_market

DAYS, START = 80, 60


def daily(market, table: str, column: str) -> np.ndarray:
    frame = market.batch.__dict__[table]
    return frame.groupby("date")[column].mean().to_numpy()


def test_price_war_cuts_every_rival_price_from_its_start_only():
    steady = generate_market(6, DAYS, seed=3)
    war = generate_market(6, DAYS, seed=3, shift=MarketShift("price_war", START, 0.25))
    before, after = (daily(m, "competitor_prices", "price") for m in (steady, war))
    np.testing.assert_allclose(after[:START], before[:START])
    np.testing.assert_allclose(after[START:], before[START:] * 0.75, rtol=0.01)


def test_demand_shock_lowers_sales_after_its_start():
    steady = generate_market(6, DAYS, seed=3)
    shock = generate_market(6, DAYS, seed=3, shift=MarketShift("demand_shock", START, 0.5))
    before, after = (daily(m, "sales", "units_sold") for m in (steady, shock))
    assert after[START:].sum() < 0.7 * before[START:].sum()
    assert after[:START].sum() == pytest.approx(before[:START].sum(), rel=0.05)
    # the truth recorded is the market before the shift
    assert shock.truth.equals(steady.truth)


def test_elasticity_shift_makes_demand_steeper():
    shift = MarketShift("elasticity", START)
    params = generate_market(1, 5, seed=0).params[0]
    assert shift.demand_params(params).elasticity == pytest.approx(params.elasticity * 1.6)
    assert shift.competitors(np.ones((1, 2, 5))).sum() == 10


@pytest.mark.parametrize(("kind", "start"), [("tariff", 5), ("price_war", 0)])
def test_a_shift_names_its_problem(kind, start):
    with pytest.raises(ValueError, match="shift"):
        MarketShift(kind, start)  # type: ignore[arg-type]
