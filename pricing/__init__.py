"""Dynamic pricing platform: demand, price response, pricing policy, guardrails."""

__version__ = "0.1.0"
