"""Evaluation: forecast backtests, price-response accuracy and policy benchmarks."""
