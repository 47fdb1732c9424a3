"""From per-column drift figures to the monitor's verdict, with the reasons in words."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pricing.monitoring.config import MonitorSettings

#: A column is tested only when both sides hold at least this many values.
MIN_VALUES = 20


@dataclass(frozen=True)
class ColumnDrift:
    """One column's drift test: the method's score and whether it passed the threshold."""

    feature: str
    score: float
    drifted: bool


@dataclass(frozen=True)
class DriftFigures:
    """A drift report's figures: the tested columns and those it could not test (why)."""

    columns: tuple[ColumnDrift, ...]
    untested: dict[str, str] = field(default_factory=dict)

    @property
    def drifted_features(self) -> list[str]:
        return [c.feature for c in self.columns if c.drifted]

    @property
    def share(self) -> float:
        """Share of the tested columns that drifted (0 when none could be tested)."""
        return len(self.drifted_features) / len(self.columns) if self.columns else 0.0

    def scores(self) -> dict[str, float]:
        return {c.feature: round(c.score, 4) for c in self.columns}


def columns_to_test(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str] | tuple[str, ...]
) -> tuple[list[str], dict[str, str]]:
    """The columns with enough values on both sides; the others with the reason."""
    keep, skipped = [], {}
    for column in columns:
        counts = [
            int(frame[column].notna().sum()) if column in frame else 0
            for frame in (reference, current)
        ]
        if min(counts) < MIN_VALUES:
            skipped[column] = f"{counts[0]} reference / {counts[1]} current values (< {MIN_VALUES})"
        elif reference[column].nunique(dropna=True) < 2:
            skipped[column] = "constant in the reference"
        else:
            keep.append(column)
    return keep, skipped


def per_series_scaled(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str], keys: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames with each column divided by its series' median in the reference.

    Pooled over a catalogue, a feature's spread is mostly the spread between products (a
    $2 and a $20 item), which hides a shift every product makes at once: a demand shock of
    -40% barely moves the pooled units. Scaled per series, the spread left is each series'
    own variation, and a market-wide move stands out. A series absent from the reference
    (or whose median is 0) has no scale: its values become NaN, never a guess."""
    scale = reference.groupby(keys, as_index=False)[columns].median()
    scale[columns] = scale[columns].where(scale[columns] > 0)

    def scaled(frame: pd.DataFrame) -> pd.DataFrame:
        per_row = frame[keys].merge(scale, on=keys, how="left")[columns].to_numpy(dtype=float)
        out = frame.copy()
        out[columns] = frame[columns].to_numpy(dtype=float) / per_row
        return out

    return scaled(reference), scaled(current)


@dataclass(frozen=True)
class DriftInputs:
    """What a data-drift report compares: the frames, the columns to test, and the rest."""

    reference: pd.DataFrame
    current: pd.DataFrame
    columns: list[str]
    untested: dict[str, str]


def drift_inputs(
    reference: pd.DataFrame, current: pd.DataFrame, monitor: MonitorSettings, keys: list[str]
) -> DriftInputs:
    """The monitored features, scaled per series when Settings say so, and which of them
    hold enough values to test."""
    columns = [c for c in monitor.features if c in reference and c in current]
    if monitor.per_series:
        reference, current = per_series_scaled(reference, current, columns, keys)
    keep, untested = columns_to_test(reference, current, list(monitor.features))
    return DriftInputs(reference, current, keep, untested)


@dataclass(frozen=True)
class ForecastAlarm:
    """The forecaster on the window: its WAPE against its WAPE on the reference windows,
    and its bias (units sold / units forecast - 1, pooled over the window's series)."""

    wape: float
    reference_wape: float
    coverage_80: float
    bias: float

    def worse(self, monitor: MonitorSettings) -> bool:
        return bool(
            pd.notna(self.wape)
            and pd.notna(self.reference_wape)
            and self.reference_wape > 0
            and self.wape > monitor.wape_ratio * self.reference_wape
        )

    def biased(self, monitor: MonitorSettings) -> bool:
        return bool(pd.notna(self.bias) and abs(self.bias) > monitor.bias_limit)

    def raised(self, monitor: MonitorSettings) -> bool:
        return self.worse(monitor) or self.biased(monitor)


def verdict(
    data: DriftFigures, forecast: ForecastAlarm | None, monitor: MonitorSettings
) -> tuple[bool, list[str]]:
    """Drift when enough features drifted, or the forecaster lost its accuracy; the reasons
    say which (an empty list: no drift)."""
    reasons = []
    if data.columns and data.share >= monitor.drift_share:
        reasons.append(
            f"{len(data.drifted_features)} of {len(data.columns)} features drifted "
            f"({', '.join(data.drifted_features)}; share {data.share:.2f} >= "
            f"{monitor.drift_share})"
        )
    if forecast is not None and forecast.worse(monitor):
        reasons.append(
            f"forecast WAPE {forecast.wape:.3f} on the window is above {monitor.wape_ratio}x "
            f"its {forecast.reference_wape:.3f} on the reference windows"
        )
    if forecast is not None and forecast.biased(monitor):
        reasons.append(
            f"units sold are {forecast.bias:+.0%} against the forecast over the window "
            f"(beyond +-{monitor.bias_limit:.0%})"
        )
    return bool(reasons), reasons
