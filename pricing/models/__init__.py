"""Demand forecaster, price response and pricing agent, joined by one demand function."""
