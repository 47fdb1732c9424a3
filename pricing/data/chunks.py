"""Validate an input that arrives in chunks (a database cursor) as if it were one table.

Errors name the row's number in the whole input (the Nth row, from 1), not in its chunk; a key
repeated in a later chunk is a duplicate just as within one file; problems in every chunk are
reported together. Only 16 bytes per row are kept across chunks (a key hash and its row
number), so the input may exceed memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from pricing.data.mapping import apply_mapping, parse_map_specs, seed_mapping
from pricing.data.schemas import TABLE_KEYS
from pricing.data.validation import Issue, ValidationError, validate_input

DUPLICATE = "duplicate key (product_id, location_id, date)"
#: Past this many problems, reading on would only delay the report.
MAX_ISSUES = 1000


class SeenKeys:
    """Key hashes seen so far with their first row, for cross-chunk duplicate checks.

    Held as sorted runs merged like a binary counter, so adding a chunk and looking a chunk up
    cost O(n log n) over the whole input instead of re-sorting everything per chunk.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def earlier_rows(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, the row that already had it, or 0 if none did."""
        found = np.zeros(len(hashes), dtype=np.int64)
        for keys, rows in self._runs:
            at = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
            found = np.where((found == 0) & (keys[at] == hashes), rows[at], found)
        return found

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if not len(hashes):
            return
        keys, numbers = hashes, rows
        while self._runs and len(self._runs[-1][0]) <= len(keys):
            older_keys, older_rows = self._runs.pop()
            keys = np.concatenate([older_keys, keys])
            numbers = np.concatenate([older_rows, numbers])
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], numbers[order]))


def _repeated_keys(
    mapped: pd.DataFrame, valid: pd.DataFrame, seen: SeenKeys, offset: int
) -> list[Issue]:
    """Rows whose key an earlier chunk already had (within a chunk, validation checks it)."""
    hashes = pd.util.hash_pandas_object(valid[TABLE_KEYS["sales"]], index=False).to_numpy()
    earlier = seen.earlier_rows(hashes)
    seen.add(hashes, np.arange(offset + 1, offset + len(valid) + 1, dtype=np.int64))
    return [
        Issue(
            offset + int(i) + 1, "date", mapped["date"].iloc[i], f"{DUPLICATE}, as row {earlier[i]}"
        )
        for i in np.flatnonzero(earlier)
    ]


def validate_chunks(
    raw_chunks: Iterable[pd.DataFrame], map_specs: Sequence[str], source: str
) -> Iterator[pd.DataFrame]:
    """Map and validate each raw chunk, yielding canonical input frames as ``validate_input``
    returns them until a chunk has a problem; then read on to report every problem (up to
    ``MAX_ISSUES``) in one :class:`ValidationError`, raised after the last chunk."""
    mapping = parse_map_specs(map_specs) if map_specs else None
    seen = SeenKeys()
    issues: list[Issue] = []
    offset = 0
    for raw in raw_chunks:
        mapped = apply_mapping(raw, mapping or seed_mapping(raw.columns))
        try:
            valid = validate_input(mapped, source)
        except ValidationError as error:
            issues += [
                Issue(None if i.row is None else i.row + offset, i.column, i.value, i.reason)
                for i in error.issues
            ]
        else:
            issues += _repeated_keys(mapped, valid, seen, offset)
            if not issues:
                yield valid
        offset += len(raw)
        if any(issue.row is None for issue in issues):
            break  # a missing column: every chunk would say the same
        if len(issues) >= MAX_ISSUES:
            issues.append(Issue(None, "*", None, f"stopped reading after row {offset}"))
            break
    if issues:
        raise ValidationError(issues, source)
