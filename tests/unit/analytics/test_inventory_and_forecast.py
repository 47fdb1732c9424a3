"""Days of cover and the forecast band against actuals."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pricing.analytics.forecast import band_scores, forecast_vs_actual
from pricing.analytics.inventory import cover, latest_cover
from pricing.data.schemas import conform
from tests.unit.analytics.conftest import DAY, START


def inventory(product: str, on_hand: list[float]) -> pd.DataFrame:
    rows = {
        "product_id": product,
        "location_id": "s1",
        "date": [START + i * DAY for i in range(len(on_hand))],
        "on_hand": on_hand,
        "inbound": 0.0,
    }
    return conform(pd.DataFrame(rows), "inventory")


def test_cover_is_stock_over_the_trailing_rate(make_sales):
    sales = make_sales(("A", "s1", [2, 4, 6], [1.0] * 3), ("B", "s1", [0, 0, 0], [1.0] * 3))
    stock = pd.concat([inventory("A", [30, 20, 12]), inventory("B", [5, 5, 5])])
    frame = cover(stock, sales, window=2)
    a = frame[frame["product_id"] == "A"]
    assert a["rate"].tolist() == [2.0, 3.0, 5.0]
    assert a["cover"].tolist() == [15.0, 20 / 3, 12 / 5]
    assert frame[frame["product_id"] == "B"]["cover"].isna().all()  # nothing sells: no cover
    latest = latest_cover(frame)
    assert latest["product_id"].tolist() == ["A", "B"] and latest["cover"].iloc[0] == 2.4


def quality(values: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"product_id": "A", "location_id": "s1", "date": START + (i + 1) * DAY,
             "actual": a, "q10": lo, "q50": mid, "q90": hi}
            for i, (a, lo, mid, hi) in enumerate(values)
        ]
    )  # fmt: skip


def published(day: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["A", "B"],
            "location_id": ["s1", "s1"],
            "event_timestamp": [START + day * DAY] * 2,
            "forecast_q10": [1.0, 0.0],
            "forecast_units": [2.0, 0.0],
            "forecast_q90": [3.0, 0.0],
        }
    )


def test_forecast_vs_actual_joins_the_monitor_window_and_the_next_period(make_sales):
    sales = make_sales(("A", "s1", [5, 10, 20], [1.0] * 3))
    frame = forecast_vs_actual(
        sales, quality([(10, 8, 9, 12), (20, 10, 15, 18)]), published(3), "A", "s1"
    )
    assert frame["source"].tolist()[1:] == ["monitor", "monitor", "published"]
    assert pd.isna(frame["source"].iloc[0])
    assert frame["actual"].tolist()[:3] == [5, 10, 20] and math.isnan(frame["actual"].iloc[3])
    assert frame["q50"].tolist()[1:] == [9, 15, 2.0]
    scores = band_scores(frame)
    assert scores.periods == 2
    assert scores.wape == pytest.approx((1 + 5) / 30)
    assert scores.coverage_80 == 0.5  # 20 is above its band's 18


def test_forecast_vs_actual_without_forecasts(make_sales):
    frame = forecast_vs_actual(
        make_sales(("A", "s1", [5], [1.0])), pd.DataFrame(), pd.DataFrame(), "A", "s1"
    )
    assert frame["actual"].tolist() == [5] and frame["q50"].isna().all()
    assert band_scores(frame).wape is None
