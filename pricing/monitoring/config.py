"""Drift-monitor thresholds: the ``monitor`` sub-model of Settings.

Every number that turns a report into a verdict lives here, so an operator can tune the
false-alarm rate without touching code (``PRICING_MONITOR__DRIFT_SHARE=0.4`` ...). The defaults
were chosen with ``pricing bench drift`` (bench/results/drift.json: 0 false alarms in 72
steady windows; price wars and demand shocks 3 of 3 flagged in their first window, elasticity
shifts 1 of 3); rerun it after changing them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: Serving features the data-drift report compares by default: what the price depends on.
MONITORED_FEATURES = (
    "units_ma7",
    "revenue_ma7",
    "last_units",
    "last_price",
    "on_hand",
    "days_of_cover",
    "competitor_min_price",
    "competitor_mean_price",
    "price_gap_ratio",
)


class MonitorSettings(BaseModel):
    """``PRICING_MONITOR`` (a JSON object) or ``PRICING_MONITOR__<FIELD>`` variables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: int | None = Field(
        None,
        ge=2,
        description="Periods in the current window (default by grain: 7 daily, 8 weekly, "
        "3 monthly).",
    )
    min_rows: int = Field(
        200,
        ge=1,
        description="A window holds at least this many rows (series x periods): a small "
        "catalogue gets a longer window, as few rows make every distribution look drifted.",
    )
    reference_windows: int = Field(
        8,
        ge=1,
        description="The reference is the last this-many windows of the prod models' training "
        "snapshot (recent enough that seasons and slow trends are not drift).",
    )
    features: tuple[str, ...] = Field(
        MONITORED_FEATURES, min_length=1, description="Serving features the drift report tests."
    )
    per_series: bool = Field(
        False,
        description="Scale each feature by its series' median in the reference before testing "
        "(a market-wide shift stands out from the spread between products).",
    )
    stattest: str = Field(
        "wasserstein",
        description="Evidently per-column drift method (wasserstein, ks, psi, jensenshannon ...).",
    )
    stattest_threshold: float = Field(
        0.2, gt=0, description="A column drifts when its method's score passes this."
    )
    drift_share: float = Field(
        0.3,
        gt=0,
        le=1,
        description="The data drift: at least this share of the tested features drifted.",
    )
    wape_ratio: float = Field(
        2.0,
        gt=1,
        description="Forecast quality alarm: window WAPE above this multiple of the same model's "
        "WAPE on the reference windows (which it may have trained on: a conservative ratio).",
    )
    bias_limit: float = Field(
        0.2,
        gt=0,
        description="Forecast bias alarm: units sold over the window off the forecast by more "
        "than this share (a demand shock the features hide in the spread between products).",
    )
    retrain_on_drift: bool = Field(
        True, description="The monitor flow runs the retraining pipeline when drift is flagged."
    )
