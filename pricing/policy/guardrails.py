"""Guardrail configuration: the business rules every price must respect.

Hard rules (cost + margin floor, observed-range limit, absolute min/max price) are never broken;
soft rules (max change versus the price in effect, competitor band, price endings) give way when
they contradict a hard rule, and the ladder reports it. Rules are set per product or category as
partial overrides of one default, validated once when loaded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

#: Validation context of a product's merged rules (see ``GuardrailPolicy.for_product``).
_ACROSS_LEVELS = "across_levels"


class GuardrailConfig(BaseModel):
    """The guardrails of one product; every field documents the rule it sets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_margin: float = Field(
        0.05, ge=0.0, description="HARD: price >= unit_cost * (1 + min_margin)."
    )
    observed_range: float = Field(
        0.10,
        ge=0.0,
        lt=1.0,
        description="HARD: price within [observed_min * (1 - r), observed_max * (1 + r)].",
    )
    min_price: float | None = Field(None, gt=0.0, description="HARD: absolute lowest price.")
    max_price: float | None = Field(None, gt=0.0, description="HARD: absolute highest price.")
    max_change: float | None = Field(
        0.15,
        gt=0.0,
        description="SOFT: relative move allowed per period vs the price in effect (None: off).",
    )
    competitor_band: tuple[float, float] | None = Field(
        (0.80, 1.25),
        description="SOFT: allowed (low, high) of price / competitor price (None: off).",
    )
    price_endings: tuple[float, ...] | None = Field(
        None,
        description="SOFT: cent endings ladder prices snap to, e.g. [0.99, 0.49] (None: any cent).",
    )
    ladder_step: float = Field(
        0.01, gt=0.0, le=1.0, description="Relative spacing of ladder points (0.01: 1% steps)."
    )
    max_points: int = Field(
        41, ge=1, le=1000, description="Most points a product's price ladder may hold."
    )

    @field_validator("competitor_band")
    @classmethod
    def _band_ordered(cls, band: tuple[float, float] | None) -> tuple[float, float] | None:
        if band is not None and not 0.0 < band[0] <= band[1]:
            raise ValueError("competitor_band needs 0 < low <= high")
        return band

    @field_validator("price_endings")
    @classmethod
    def _endings_are_cents(cls, endings: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if endings is None:
            return None
        if not endings or any(not 0.0 <= e < 1.0 for e in endings):
            raise ValueError("price_endings must be a non-empty list of cent endings in [0, 1)")
        return tuple(sorted({round(e, 2) for e in endings}))

    @model_validator(mode="after")
    def _min_below_max(self, info: ValidationInfo) -> GuardrailConfig:
        low, high = self.min_price, self.max_price
        across_levels = bool(info.context and info.context.get(_ACROSS_LEVELS))
        if low is not None and high is not None and low > high and not across_levels:
            raise ValueError("min_price must not exceed max_price")
        return self


def _override_errors(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or 'value'}: {e['msg']}" for e in error.errors()
    )


class GuardrailPolicy(BaseModel):
    """A default config plus partial overrides; a product's own beats its category's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: GuardrailConfig = Field(
        default_factory=lambda: GuardrailConfig.model_validate({}),
        description="Rules for every product not overridden.",
    )
    categories: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Partial overrides per category."
    )
    products: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Partial overrides per product id (beat category)."
    )

    @model_validator(mode="after")
    def _overrides_valid(self) -> GuardrailPolicy:
        # Validated here, once, so a typo fails at load time rather than at pricing time.
        for section in ("categories", "products"):
            for name, override in getattr(self, section).items():
                try:
                    self._merge(override)
                except ValidationError as error:
                    raise ValueError(f"{section}.{name}: {_override_errors(error)}") from None
        return self

    def _merge(self, *overrides: dict[str, Any], across_levels: bool = False) -> GuardrailConfig:
        values = self.default.model_dump()
        for override in overrides:
            values.update(override)
        return GuardrailConfig.model_validate(values, context={_ACROSS_LEVELS: across_levels})

    def for_product(self, product_id: str, category: str | None = None) -> GuardrailConfig:
        """The effective rules of one product: default < category < product.

        Each override was checked on the default at load time, but which products sit in which
        category is only known when pricing: a category's min_price may then exceed one of its
        products' max_price. Both are hard rules, so both are kept and the ladder resolves the
        contradiction as it does any hard conflict (the floor wins, and it is reported) rather
        than failing the request.
        """
        category_override = self.categories.get(category, {}) if category else {}
        product_override = self.products.get(product_id, {})
        return self._merge(category_override, product_override, across_levels=True)


def load_guardrails(path: Path | None) -> GuardrailPolicy:
    """Read and validate a guardrail policy from YAML or JSON (None: the defaults)."""
    if path is None:
        return GuardrailPolicy()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: guardrail file not found")
    text = path.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot parse: {error}") from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping with default/categories/products")
    try:
        return GuardrailPolicy.model_validate(raw)
    except ValidationError as error:
        raise ValueError(f"{path}: {_override_errors(error)}") from None


@dataclass(frozen=True)
class ProductLimits:
    """What the hard rules need to know about a product.

    ``unit_cost`` may be unknown (None/NaN) for real data: the margin floor then does not apply.
    """

    unit_cost: float | None
    observed_min: float
    observed_max: float
    min_price: float | None = None
    max_price: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.observed_min <= self.observed_max:
            raise ValueError("need 0 < observed_min <= observed_max")

    @property
    def has_cost(self) -> bool:
        """Whether the margin floor applies."""
        return self.unit_cost is not None and math.isfinite(self.unit_cost) and self.unit_cost > 0
