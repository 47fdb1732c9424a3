"""Guardrails, the price ladder, baseline policies and the oracle.

Only the guardrails and the ladder are re-exported here: they have no dependencies, and the
market simulator builds on them. Import the baseline pricing policies from
``pricing.policy.baseline_policies`` and the oracle from ``pricing.policy.oracle``.
"""

from pricing.policy.guardrails import (
    GuardrailConfig,
    GuardrailPolicy,
    ProductLimits,
    load_guardrails,
)
from pricing.policy.ladder import Ladder, build_ladder, price_grid

__all__ = [
    "GuardrailConfig",
    "GuardrailPolicy",
    "Ladder",
    "ProductLimits",
    "build_ladder",
    "load_guardrails",
    "price_grid",
]
