"""Forecast against actual: the observed units beside the 10/50/90% band.

Two sources of forecasts: the drift monitor's forecast-quality window (what the prod
forecaster said about periods since observed) and the published forecast (the next period,
served from the feature store). Either may be missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pricing.analytics.series import one_series

#: Periods of history drawn before the forecasts.
HISTORY = 56
BAND = ["q10", "q50", "q90"]


@dataclass(frozen=True)
class BandScores:
    """How the band did where actuals are known (None when no period has both)."""

    periods: int
    wape: float | None
    coverage_80: float | None


def forecast_date(published: pd.DataFrame) -> pd.Series:
    """The period a published forecast is for: it is stamped at the as-of time, the end of the
    last observed period, which is the day the next period starts."""
    return pd.to_datetime(published["event_timestamp"], utc=True).dt.floor("D")


def forecast_vs_actual(
    sales: pd.DataFrame,
    quality: pd.DataFrame,
    published: pd.DataFrame,
    product: str,
    location: str,
    history: int = HISTORY,
) -> pd.DataFrame:
    """One series (date, actual, q10, q50, q90, source): its last ``history`` observed
    periods, with the monitored window's forecasts on them and the published next-period
    forecast after them (``source`` names where a row's band came from, else is empty)."""
    observed = one_series(sales[sales["observed"]], product, location).tail(history)
    actual = pd.DataFrame(
        {"date": observed["date"].to_numpy(), "actual": observed["units_sold"].to_numpy()}
    )
    bands = [pd.DataFrame(columns=["date", *BAND, "source"])]
    if not quality.empty:
        window = one_series(quality, product, location)
        bands.append(window[["date", *BAND]].assign(source="monitor"))
    if not published.empty:
        mine = one_series(published.assign(date=forecast_date(published)), product, location)
        renamed = {"forecast_q10": "q10", "forecast_units": "q50", "forecast_q90": "q90"}
        bands.append(
            mine.tail(1).rename(columns=renamed)[["date", *BAND]].assign(source="published")
        )
    band = pd.concat([b for b in bands if not b.empty] or bands[:1], ignore_index=True)
    band = band.drop_duplicates("date", keep="last")
    band["date"] = pd.to_datetime(band["date"], utc=True)
    band[BAND] = band[BAND].astype(float)
    out = actual.merge(band, on="date", how="outer").sort_values("date")
    return out[["date", "actual", *BAND, "source"]].reset_index(drop=True)


def band_scores(frame: pd.DataFrame) -> BandScores:
    """WAPE of the median and coverage of the 10-90% band where both are known."""
    scored = frame.dropna(subset=["actual", "q50"])
    if scored.empty:
        return BandScores(0, None, None)
    total = scored["actual"].abs().sum()
    wape = float((scored["actual"] - scored["q50"]).abs().sum() / total) if total > 0 else None
    inside = (scored["actual"] >= scored["q10"]) & (scored["actual"] <= scored["q90"])
    return BandScores(len(scored), wape, float(inside.mean()))
