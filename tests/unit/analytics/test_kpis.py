"""Overview KPIs on two series whose figures are known by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from pricing.analytics.kpis import latest_decisions, overview, revenue_by_period
from tests.unit.analytics.conftest import decision


def test_window_against_the_one_before(make_sales, products):
    sales = make_sales(("A", "s1", [1, 1, 2, 2], [2.0] * 4), ("B", "s1", [1, 1, 1, 3], [1.0] * 4))
    kpis = overview(sales, products, pd.DataFrame(), periods=2)
    assert kpis.revenue == pytest.approx(2 * 4 + 1 + 3)  # A: 2 x (2+2); B: 1 + 3
    assert kpis.revenue_change == pytest.approx(12 / 6 - 1)
    assert kpis.units == 8 and kpis.units_change == pytest.approx(8 / 4 - 1)
    # A alone has a unit cost: (8 - 4 x 1.0) / 8
    assert kpis.margin == pytest.approx(0.5)
    assert kpis.series == 2 and kpis.window_start == sales["date"].unique()[2]
    assert kpis.decisions == 0 and kpis.repriced_share is None and kpis.fallbacks == 0


def test_a_short_history_has_no_change(make_sales, products):
    kpis = overview(make_sales(("B", "s1", [1, 2], [1.0, 1.0])), products, pd.DataFrame(), 7)
    assert kpis.periods == 2 and kpis.revenue_change is None and kpis.margin is None


def test_repricing_and_fallbacks_read_each_series_latest_decision(make_sales, products):
    log = pd.DataFrame(
        [
            decision("A", "s1", 2.5, 2.0),  # moved, then superseded below
            decision("A", "s1", 2.0, 2.0),
            decision("B", "s1", 1.2, 1.0),
            decision("B", "s2", 1.0, 1.0, policy="fallback"),
        ]
    )
    assert len(latest_decisions(log)) == 3
    kpis = overview(make_sales(("A", "s1", [1, 1], [2.0, 2.0])), products, log, 1)
    assert kpis.decisions == 3
    assert kpis.repriced_share == pytest.approx(1 / 3)
    assert kpis.fallbacks == 1


def test_revenue_by_period_sums_series(make_sales):
    sales = make_sales(("A", "s1", [1, 2], [2.0, 2.0]), ("B", "s1", [3, 4], [1.0, 1.0]))
    totals = revenue_by_period(sales)
    assert totals["revenue"].tolist() == [5.0, 8.0] and totals["units_sold"].tolist() == [4, 6]
