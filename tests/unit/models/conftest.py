"""Shared by the model tests: a tiny market and the quick forecaster, fitted on it once."""

from __future__ import annotations

import pandas as pd
import pytest

from pricing.market.generate import generate_market
from pricing.models.demand import DemandForecaster

#: The forecaster's history ends this long before the market's last day (two weeks held out).
HELD_OUT = pd.Timedelta(days=13)


@pytest.fixture(scope="session")
def forecast_market() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sales and competitor prices of four series over 120 days."""
    batch = generate_market(4, 120, seed=3).batch
    return batch.sales, batch.competitor_prices


@pytest.fixture(scope="session")
def forecaster(forecast_market: tuple[pd.DataFrame, pd.DataFrame]) -> DemandForecaster:
    """The quick forecaster fitted on the market's days before the held-out two weeks."""
    sales, competitors = forecast_market
    history = sales[sales["date"] < sales["date"].max() - HELD_OUT]
    return DemandForecaster().fit(history, competitors, "daily", quick=True, seed=0)
