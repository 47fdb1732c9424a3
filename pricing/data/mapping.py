"""Column mapping from any source table into the canonical input columns.

``--map product_id=region+type`` joins several source columns into one id, values separated
by ``:`` (``Albany:conventional``); without a mapping the seed's format is expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from pricing.data.inputs import CANONICAL_INPUTS, SEED_COLUMNS

ID_SEPARATOR = ":"


class MappingError(ValueError):
    """A ``--map`` spec is malformed or names columns the source does not have."""


def parse_map_specs(specs: Iterable[str]) -> dict[str, list[str]]:
    """Parse ``CANONICAL=COLUMN[+COLUMN]`` specs into canonical -> source columns."""
    mapping: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, columns = spec.partition("=")
        name = name.strip()
        if not sep or not all(c.strip() for c in columns.split("+")):
            raise MappingError(f"--map {spec!r}: expected CANONICAL=COLUMN[+COLUMN]")
        if name not in CANONICAL_INPUTS:
            raise MappingError(
                f"--map {spec!r}: unknown canonical name {name!r}; "
                f"expected one of {', '.join(CANONICAL_INPUTS)}"
            )
        mapping[name] = [c.strip() for c in columns.split("+")]
    return mapping


def seed_mapping(columns: Iterable[str]) -> dict[str, list[str]]:
    """The seed's format; optional columns (Inventory, Competitor_Price) only if present."""
    present = set(columns)
    return {
        name: [source]
        for name, source in SEED_COLUMNS.items()
        if source in present or name in ("product_id", "date", "units", "price")
    }


def apply_mapping(raw: pd.DataFrame, mapping: Mapping[str, list[str]]) -> pd.DataFrame:
    """Select and rename mapped columns; join multi-column ids. Keeps the source row order."""
    missing = sorted({c for cols in mapping.values() for c in cols} - set(raw.columns))
    if missing:
        raise MappingError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; the file has "
            f"{', '.join(repr(c) for c in raw.columns)}"
        )
    out = pd.DataFrame(index=raw.index)
    for name, columns in mapping.items():
        if len(columns) == 1:
            out[name] = raw[columns[0]]
        else:
            out[name] = raw[columns].astype(str).agg(ID_SEPARATOR.join, axis=1)
    return out
