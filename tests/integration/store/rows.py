"""What the store tests share: comparing online feature rows."""

from __future__ import annotations

import math


def same_values(a: dict, b: dict) -> bool:
    """``b`` holds ``a``'s values under ``a``'s keys (floats to 1e-12; NaN equals NaN)."""
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) and isinstance(y, float):
            if not (math.isclose(x, y, rel_tol=1e-12) or (math.isnan(x) and math.isnan(y))):
                return False
        elif x != y:
            return False
    return True
