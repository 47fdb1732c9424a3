"""One settings object for the whole platform (env prefix ``PRICING_``, ``.env`` support).

Everything the platform generates lives under ``home``; hosts and URLs come from here, never
from literals elsewhere. Read it through :func:`get_settings`, never at import time.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Variables export_environment set itself (not the user): they never override a home.
_EXPORTED: dict[str, str] = {}


class Settings(BaseSettings):
    """Platform configuration; every field maps to ``PRICING_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="PRICING_", env_file=".env", extra="forbid", validate_default=True
    )

    home: Path = Field(
        Path(".pricing"),
        description="Root of all generated state: data, features, Feast registry and online store, "
        "model store (unless BENTOML_HOME is set), reports, request logs.",
    )
    as_of: str = Field(
        "latest",
        description="The platform's clock: 'latest' (last event time in the home's data), 'now' "
        "(live deployments) or an ISO timestamp.",
    )
    online_store: Literal["sqlite", "redis"] = Field(
        "sqlite", description="Feast online store backend."
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="redis://host:port/db URL of the Redis online store (translated for Feast).",
    )
    registry: Literal["file", "sql"] = Field("file", description="Feast registry backend.")
    registry_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        description="SQLAlchemy-style URL of the SQL registry (used when registry='sql').",
    )
    offline_store: Literal["duckdb", "file", "spark"] = Field(
        "duckdb",
        description="Feast offline store over the Parquet feature files: 'duckdb' (default, "
        "fast point-in-time joins), 'file' (Feast's Dask engine) or 'spark'.",
    )
    spark_master: str = Field(
        "local[*]", description="Spark master URL for the Spark engine/store."
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="Endpoint of an S3-compatible store for s3:// inputs (MinIO, ...); "
        "None = AWS. Credentials come from the usual AWS_* variables.",
    )
    seed: int = Field(42, description="Default random seed for generators and training.")
    guardrails: Path | None = Field(
        None,
        description="YAML/JSON guardrail policy (default/categories/products); None = defaults.",
    )
    reward: Literal["revenue", "profit"] = Field(
        "revenue", description="What pricing maximizes: revenue, or profit (needs unit costs)."
    )
    selling_horizon: int = Field(
        28, ge=1, le=366, description="Periods ahead the pricing agent plans over when serving."
    )
    max_feature_age: float = Field(
        2.0,
        gt=0,
        description="Periods a feature row may lag PRICING_AS_OF before serving falls back.",
    )
    decision_log: bool = Field(True, description="Log every served decision to Parquet.")
    promote_policy_points: float = Field(
        0.5, ge=0, description="Promotion: the challenger may trail prod by this many % of oracle."
    )
    promote_forecast_ratio: float = Field(
        1.02, ge=1.0, description="Promotion: how far the challenger WAPE may exceed prod's (x)."
    )
    promote_scenarios: int = Field(
        10, ge=1, description="Promotion: policy-benchmark scenarios each model set is scored on."
    )
    promote_seed: int = Field(
        0,
        description="Promotion and the evaluate flow: seed of the scenarios both sets are scored "
        "on (products training never saw; the policy benchmark's default seed too).",
    )
    bench_results: Path = Field(
        Path("bench/results"),
        description="Where `pricing bench ...` writes its JSON figures and plots.",
    )

    @field_validator("as_of")
    @classmethod
    def _check_as_of(cls, value: str) -> str:
        if value in ("latest", "now"):
            return value
        import pandas as pd

        try:
            pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"PRICING_AS_OF must be 'latest', 'now' or a timestamp, got {value!r}"
            ) from exc
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not re.match(r"^rediss?://[^/:]+(:\d+)?(/\d+)?$", value):
            raise ValueError(
                f"PRICING_REDIS_URL must look like redis://host:port/db, got {value!r}"
            )
        return value

    @property
    def home_dir(self) -> Path:
        """Absolute home; created on first use by the code that writes into it."""
        return self.home.expanduser().resolve()

    @property
    def data_dir(self) -> Path:
        return self.home_dir / "data"

    @property
    def features_dir(self) -> Path:
        return self.home_dir / "features"

    @property
    def feast_dir(self) -> Path:
        return self.home_dir / "feature_repo"

    @property
    def snapshots_dir(self) -> Path:
        return self.home_dir / "snapshots"

    @property
    def generated_dir(self) -> Path:
        return self.home_dir / "generated"

    @property
    def decisions_dir(self) -> Path:
        return self.home_dir / "logs" / "decisions"

    @property
    def bentoml_home(self) -> Path:
        """BENTOML_HOME when the user set it, else ``<home>/bentoml`` (so a sibling home, as the
        OJ demo's, never writes into the store exported for another home)."""
        env = os.environ.get("BENTOML_HOME")
        if env and env != _EXPORTED.get("BENTOML_HOME"):
            return Path(env)
        return self.home_dir / "bentoml"

    @property
    def feast_project(self) -> str:
        """Feast project (and so Redis key prefix) derived from the home: two homes never share."""
        digest = hashlib.sha256(str(self.home_dir).encode()).hexdigest()[:10]
        return f"pricing_{digest}"

    def feast_redis_connection(self) -> str:
        """Translate ``redis://host:port/db`` into Feast's ``host:port,db=N`` form."""
        match = re.match(r"^(rediss?)://([^/:]+)(?::(\d+))?(?:/(\d+))?$", self.redis_url)
        assert match, self.redis_url  # guaranteed by the validator
        scheme, host, port, db = match.groups()
        conn = f"{host}:{port or 6379},db={db or 0}"
        return conn + (",ssl=true" if scheme == "rediss" else "")

    def export_environment(self) -> None:
        """Point libraries that read their own env vars (BentoML) into the home."""
        if "BENTOML_HOME" not in os.environ:
            os.environ["BENTOML_HOME"] = _EXPORTED["BENTOML_HOME"] = str(self.home_dir / "bentoml")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's CUDA probing noise
        os.environ.setdefault("RLLIB_TEST_NO_TF_IMPORT", "1")  # RLlib here is torch-only
        if "PREFECT_HOME" not in os.environ:  # Prefect's run history lives in the home too
            prefect_home = self.home_dir / "prefect"
            prefect_home.mkdir(parents=True, exist_ok=True)
            os.environ["PREFECT_HOME"] = _EXPORTED["PREFECT_HOME"] = str(prefect_home)
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry
        os.environ.setdefault("DO_NOT_TRACK", "1")
        # A new home's temporary Prefect server migrates its database first: give it time.
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and ``.env``."""
    return Settings()
