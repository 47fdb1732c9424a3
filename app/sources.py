"""Everything the pages read, cached until the file behind it changes.

Each reader is keyed on the modification time of the files it reads (:func:`stamp`), so a
page rerun costs a cache hit, and a new ingest, training or monitor run shows at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from pricing.analytics.series import catalogue
from pricing.analytics.whatif import Simulator, simulator
from pricing.data.home import HomeData
from pricing.data.schemas import KEY, empty_table
from pricing.settings import Settings, get_settings


def settings() -> Settings:
    """The dashboard process's settings (read from the environment once, then cached)."""
    return get_settings()


def stamp(path: Path) -> float:
    """The latest modification time at or under ``path`` (0 when absent): a cache key that
    changes whenever what the path holds does."""
    if not path.exists():
        return 0.0
    if path.is_file():
        return path.stat().st_mtime
    return max((p.stat().st_mtime for p in path.rglob("*")), default=path.stat().st_mtime)


@st.cache_data(show_spinner=False, max_entries=16)
def _table(data_dir: str, name: str, mtime: float) -> pd.DataFrame:
    return HomeData(Path(data_dir)).read(name)


def table(cfg: Settings, name: str) -> pd.DataFrame:
    """A canonical table of the home (empty with its columns when never written)."""
    home = HomeData(cfg.data_dir)
    return _table(str(cfg.data_dir), name, stamp(home.table_path(name)))


def grain(cfg: Settings) -> str | None:
    """The home's grain; None when it holds no data yet."""
    home = HomeData(cfg.data_dir)
    return home.grain if home.exists() else None


@st.cache_resource(show_spinner=False, max_entries=2)
def _competitor_groups(data_dir: str, mtime: float) -> dict[tuple[str, str], pd.DataFrame]:
    """The competitor table split per series, held once and never modified: a real home has
    a row per rival per series per period (over a million in the OJ home), which st.cache_data
    would copy on every rerun (half a second)."""
    frame = HomeData(Path(data_dir)).read("competitor_prices")
    return {(str(p), str(loc)): rows for (p, loc), rows in frame.groupby(KEY, sort=False)}


@st.cache_data(show_spinner=False, max_entries=64)
def _competitors(data_dir: str, product: str, location: str, mtime: float) -> pd.DataFrame:
    empty = empty_table("competitor_prices")
    return _competitor_groups(data_dir, mtime).get((product, location), empty)


def competitors(cfg: Settings, product: str, location: str) -> pd.DataFrame:
    """One series' competitor (and substitute) prices."""
    path = HomeData(cfg.data_dir).table_path("competitor_prices")
    return _competitors(str(cfg.data_dir), product, location, stamp(path))


@st.cache_data(show_spinner=False, max_entries=4)
def _catalogue(data_dir: str, mtime: float) -> pd.DataFrame:
    home = HomeData(Path(data_dir))
    return catalogue(home.read("sales"), home.read("products"))


def series(cfg: Settings) -> pd.DataFrame:
    """(category, product_id, location_id) of every sold series, for the pickers."""
    return _catalogue(str(cfg.data_dir), stamp(cfg.data_dir))


@st.cache_data(show_spinner=False, max_entries=4)
def _features(path: str, mtime: float) -> pd.DataFrame:
    return pd.read_parquet(path)


def published(cfg: Settings, view: str) -> pd.DataFrame:
    """A feature view's offline rows (``demand_forecast``, ``elasticity``; empty if absent)."""
    path = cfg.features_dir / f"{view}.parquet"
    return _features(str(path), stamp(path)) if path.exists() else pd.DataFrame()


@st.cache_data(show_spinner=False, max_entries=4)
def _decisions(directory: str, mtime: float) -> pd.DataFrame:
    from pricing.serving.decision_log import read_decisions

    return read_decisions(Path(directory))


def decisions(cfg: Settings) -> pd.DataFrame:
    """Every served decision, oldest first (empty before the first)."""
    return _decisions(str(cfg.decisions_dir), stamp(cfg.decisions_dir))


@st.cache_data(show_spinner=False, max_entries=4)
def _registry(_cfg: Settings, home: str, mtime: float) -> dict[str, Any]:
    from pricing.promotion import decisions as promotions
    from pricing.registry import list_models, prod_history, prod_set

    models = list_models(_cfg)
    latest = {m.kind: m.tag for m in models}  # oldest first: the last of a kind wins
    return {
        "models": models,
        "prod": prod_set(_cfg),
        "history": prod_history(_cfg),
        "challenger": latest,
        "promotions": promotions(_cfg),
    }


def registry(cfg: Settings) -> dict[str, Any]:
    """Stored models, the prod and challenger sets, earlier prod sets and promotion decisions."""
    return _registry(cfg, str(cfg.home_dir), stamp(cfg.bentoml_home / "models") + _aliases(cfg))


def _aliases(cfg: Settings) -> float:
    return stamp(cfg.bentoml_home / "aliases.json") + stamp(cfg.bentoml_home / "promotions.jsonl")


@st.cache_data(show_spinner=False, max_entries=4)
def _snapshots(_cfg: Settings, home: str, mtime: float) -> pd.DataFrame:
    from pricing.store.snapshots import list_snapshots

    return pd.DataFrame(list_snapshots(_cfg))


def snapshots(cfg: Settings) -> pd.DataFrame:
    """Training snapshots in the Feast registry, oldest first (empty before the first)."""
    if not cfg.snapshots_dir.exists():
        return pd.DataFrame()
    return _snapshots(cfg, str(cfg.home_dir), stamp(cfg.snapshots_dir))


@st.cache_resource(show_spinner="Loading the prod models ...", max_entries=2)
def _simulator(_cfg: Settings, home: str, url: str | None, mtime: float) -> Simulator:
    return simulator(_cfg)


def what_if(cfg: Settings) -> Simulator:
    """The running service at ``PRICING_SERVICE_URL``, else the prod models in process
    (loaded once per prod set)."""
    return _simulator(cfg, str(cfg.home_dir), cfg.service_url, _aliases(cfg))


@st.cache_data(show_spinner=False, max_entries=8)
def _monitor(name: str, _cfg: Settings, home: str, mtime: float) -> pd.DataFrame:
    from pricing.monitoring import history

    return pd.DataFrame(getattr(history, name)(_cfg))


def monitor_history(cfg: Settings) -> pd.DataFrame:
    """One row per drift-monitor run, oldest first."""
    return _monitor("read_history", cfg, str(cfg.home_dir), stamp(cfg.reports_dir))


def feature_drift(cfg: Settings) -> pd.DataFrame:
    """Per run and feature: the drift score and whether it drifted."""
    return _monitor("feature_history", cfg, str(cfg.home_dir), stamp(cfg.reports_dir))


def forecast_quality(cfg: Settings) -> pd.DataFrame:
    """The latest monitor run's forecasts against actuals (empty when none)."""
    return _monitor("forecast_quality", cfg, str(cfg.home_dir), stamp(cfg.reports_dir))
