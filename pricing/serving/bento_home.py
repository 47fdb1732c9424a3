"""A home's serving inputs packed into its bento, so the bento serves where the home is not.

Besides its models, the service reads from its home: the grain and the products table (the
catalogue), the last event time (``PRICING_AS_OF=latest``), the Feast registry (the views of
the serving feature service, and so how the online store keys them), the guardrail policy
file when one is set, and, for the demand forecaster, each series' last ``lookback`` periods
of sales and rival prices. :func:`pack_home` writes exactly these into the bento at build
time: ``data/`` (``meta.json`` and one Parquet file per table, sales and rival prices cut to
their last ``lookback`` periods), ``feature_repo/registry.db`` (a file registry; a SQL one is
reached by its URL instead), ``guardrails.<ext>`` and ``home.json`` (what came from where).

Served away from its home (the configured ``PRICING_HOME`` holds no data: another machine, a
container), the service copies the packed home to ``<PRICING_HOME>/bentos/<id>`` once and
serves from the copy (its decision log included). It reads the online store under the build
home's Feast project: a project is named after its home's path, which differs elsewhere, and
the features were materialized under the build home's. Only the online store's address needs
configuring there (``PRICING_ONLINE_STORE=redis PRICING_REDIS_URL=...``). Served at its home
(or any home with data), the home is read as it is today.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field

from pricing.data.grain import period_delta
from pricing.data.home import META_FILE, HomeData, write_json_atomic, write_parquet_atomic
from pricing.settings import Settings

INFO_FILE = "home.json"
#: Where a bento's home is copied to under the configured home.
COPIES_DIR = "bentos"
TABLES = ("products", "sales", "competitor_prices")


class PackedHomeSettings(Settings):
    """The settings of a home copied out of a bento: all as configured, but the Feast project
    is the build home's (named after a path that does not exist here)."""

    packed_project: str = Field(description="Feast project of the home the bento was built on.")

    @property
    def feast_project(self) -> str:
        return self.packed_project


def recent_rows(frame: pd.DataFrame, grain: str, periods: int) -> pd.DataFrame:
    """The rows of a dated table (sales, rival prices) in its last ``periods`` periods."""
    if frame.empty:
        return frame
    dates = pd.to_datetime(frame["date"], utc=True)
    first = dates.max() - period_delta(grain) * (periods - 1)
    return frame[dates >= first].reset_index(drop=True)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def pack_home(settings: Settings, target: Path, lookback: int) -> dict[str, Any]:
    """Write what serving reads from ``settings``' home into ``target``; what was packed."""
    data = HomeData(settings.data_dir)
    grain = data.require_grain()
    packed = HomeData(target / "data")
    write_json_atomic(data.meta(), packed.data_dir / META_FILE)
    tables = {name: data.read(name) for name in TABLES}
    for name in ("sales", "competitor_prices"):
        tables[name] = recent_rows(tables[name], grain, lookback)
    for name, frame in tables.items():
        write_parquet_atomic(frame, packed.legacy_path(name))
    registry = settings.registry.feast_config(settings.feast_dir)
    if registry["registry_type"] == "file":
        (target / "feature_repo").mkdir(parents=True, exist_ok=True)
        shutil.copy2(registry["path"], target / "feature_repo" / "registry.db")
    guardrails = None
    if settings.guardrails is not None:
        guardrails = f"guardrails{Path(settings.guardrails).suffix}"
        shutil.copy2(settings.guardrails, target / guardrails)
    dates = pd.to_datetime(tables["sales"]["date"], utc=True)
    info = {
        "id": f"{settings.feast_project}-{_digest(target)}",
        "project": settings.feast_project,
        "built_from": str(settings.home_dir),
        "packed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "grain": grain,
        "history": {
            "periods": lookback,
            "first": dates.min().isoformat() if len(dates) else None,
            "last": dates.max().isoformat() if len(dates) else None,
        },
        "registry": registry["registry_type"],
        "guardrails": guardrails,
    }
    write_json_atomic(info, target / INFO_FILE)
    return info


def serving_settings(settings: Settings, packed: Path | None) -> Settings:
    """The settings to serve with: ``settings`` when its home holds data (or there is no
    packed home: a module served from a checkout), else those of the packed home's copy."""
    if packed is None or HomeData(settings.data_dir).exists():
        return settings
    info = json.loads((packed / INFO_FILE).read_text())
    home = settings.home_dir / COPIES_DIR / info["id"]
    if not (home / INFO_FILE).exists():
        _copy(packed, home)
    packed_guardrails = home / info["guardrails"] if info.get("guardrails") else None
    values = {name: getattr(settings, name) for name in Settings.model_fields}
    values |= {"home": home, "guardrails": settings.guardrails or packed_guardrails}
    return PackedHomeSettings.model_construct(**values, packed_project=info["project"])


def _copy(source: Path, target: Path) -> None:
    """Copy a folder into place in one rename: processes starting together (the server and
    its workers) never see half of it, and the first one's copy wins."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    try:
        staging.rename(target)
    except OSError:  # another process copied it first
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / INFO_FILE).exists():
            raise
