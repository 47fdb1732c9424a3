"""Pickers' catalogue and price trends."""

from __future__ import annotations

import pandas as pd

from pricing.analytics.series import UNCATEGORISED, catalogue
from pricing.analytics.trends import OURS, RECOMMENDED, category_trend, price_trend
from pricing.data.schemas import conform
from tests.unit.analytics.conftest import START, decision


def test_catalogue_groups_series_by_category(make_sales, products):
    sales = make_sales(
        ("B", "s2", [1], [1.0]), ("A", "s2", [1], [1.0]), ("A", "s1", [1], [1.0]),
        ("C", "s1", [1], [1.0]),
    )  # fmt: skip
    table = catalogue(sales, products)
    assert table.values.tolist() == [
        ["(no category)", "B", "s2"],
        ["(no category)", "C", "s1"],
        ["juice", "A", "s1"],
        ["juice", "A", "s2"],
    ]
    assert UNCATEGORISED == "(no category)"


def test_price_trend_has_ours_rivals_and_the_latest_recommendation(make_sales):
    sales = make_sales(("A", "s1", [1, 1, 1], [2.0, 2.1, 2.2]), ("A", "s2", [1], [9.0]))
    rivals = conform(
        pd.DataFrame(
            {
                "product_id": ["A", "A", "A"],
                "location_id": ["s1", "s1", "s2"],
                "competitor_id": ["C1", "C1", "C1"],
                "competitor_type": ["competitor"] * 3,
                "date": [START, START + pd.Timedelta(days=1), START],
                "price": [1.9, 2.0, 5.0],
            }
        ),
        "competitor_prices",
    )
    log = pd.DataFrame([decision("A", "s1", 2.3, 2.2), decision("A", "s1", 2.4, 2.2)])
    trend = price_trend(sales, rivals, log, "A", "s1", "daily")
    by_series = {name: rows["price"].tolist() for name, rows in trend.groupby("series")}
    assert by_series == {
        OURS: [2.0, 2.1, 2.2],
        "C1 (competitor)": [1.9, 2.0],
        RECOMMENDED: [2.4],
    }
    recommended = trend[trend["series"] == RECOMMENDED]["date"].iloc[0]
    assert recommended == START + pd.Timedelta(days=3)  # the period after the last sale


def test_many_rivals_are_drawn_as_their_lowest_and_mean(make_sales):
    rivals = conform(
        pd.DataFrame(
            {
                "product_id": "A",
                "location_id": "s1",
                "competitor_id": ["B", "C", "D"],
                "competitor_type": "substitute",
                "date": START,
                "price": [1.0, 2.0, 6.0],
            }
        ),
        "competitor_prices",
    )
    sales = make_sales(("A", "s1", [1], [2.0]))
    trend = price_trend(sales, rivals, pd.DataFrame(), "A", "s1", "daily", max_rival_lines=2)
    by_series = dict(zip(trend["series"], trend["price"], strict=True))
    assert by_series == {OURS: 2.0, "rivals' lowest": 1.0, "rivals' mean": 3.0}


def test_price_trend_without_rivals_or_decisions(make_sales):
    empty = conform(pd.DataFrame(), "competitor_prices")
    trend = price_trend(
        make_sales(("A", "s1", [1], [2.0])), empty, pd.DataFrame(), "A", "s1", "daily"
    )
    assert trend["series"].unique().tolist() == [OURS]


def test_category_trend_averages_locations(make_sales, products):
    sales = make_sales(
        ("A", "s1", [1, 1], [2.0, 3.0]), ("A", "s2", [1, 1], [4.0, 5.0]), ("B", "s1", [1], [9.0])
    )
    means = category_trend(sales, catalogue(sales, products), "juice")
    assert means["product_id"].unique().tolist() == ["A"]
    assert means["price"].tolist() == [3.0, 4.0]
