"""Ground-truth market simulator: true demand, seeded histories and the hidden parameters."""

from pricing.market.demand import price_factor, seasonal_factor, true_expected_units
from pricing.market.generate import GeneratedMarket, generate_market
from pricing.market.params import ProductParams, params_frame, params_from_frame, sample_products

__all__ = [
    "GeneratedMarket",
    "ProductParams",
    "generate_market",
    "params_frame",
    "params_from_frame",
    "price_factor",
    "sample_products",
    "seasonal_factor",
    "true_expected_units",
]
