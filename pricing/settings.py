"""One settings object for the whole platform (env prefix ``PRICING_``, ``.env`` support).

Everything the platform generates lives under ``home``; hosts and URLs come from here, never
from literals elsewhere. Read it through :func:`get_settings` once, at the edge (the command
line, the service, a flow), and pass it on as a value: nothing below the edge reads the
environment. Backends are typed sub-models (``pricing.store.backends``), one class each.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pricing.models.ray_cluster import RaySettings
from pricing.monitoring.config import MonitorSettings
from pricing.serving.config import ServiceSettings
from pricing.spark.config import SparkSettings
from pricing.store.backends import (
    REDIS_URL,
    DuckDBOfflineStore,
    FileRegistry,
    OfflineStore,
    OnlineStore,
    Registry,
    SqliteOnlineStore,
)
from pricing.streaming.config import KafkaSettings

#: A backend named by a plain word (``PRICING_ONLINE_STORE=redis``) takes its connection
#: from the flat setting beside it (``PRICING_REDIS_URL``): backend field -> (setting, option).
_CONNECTIONS = {
    "online_store": {"redis": ("redis_url", "url")},
    "registry": {"sql": ("registry_url", "url")},
    "offline_store": {"spark": ("spark", "spark")},
}


class Settings(BaseSettings):
    """Platform configuration; every field maps to ``PRICING_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="PRICING_",
        env_file=".env",
        extra="forbid",
        validate_default=True,
        populate_by_name=True,
        env_nested_delimiter="__",
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
    online_store: Annotated[OnlineStore, NoDecode] = Field(
        default_factory=SqliteOnlineStore,
        description="Feast online store: 'sqlite' (default) or 'redis' (at PRICING_REDIS_URL), "
        'or a JSON object such as {"type": "redis", "url": "redis://host:6379/0"}.',
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="redis://host:port/db of the platform's Redis (the online store when "
        "PRICING_ONLINE_STORE=redis; benchmarks load into it).",
    )
    registry: Annotated[Registry, NoDecode] = Field(
        default_factory=FileRegistry,
        description="Feast registry: 'file' (default) or 'sql' (at PRICING_REGISTRY_URL).",
    )
    registry_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        description="SQLAlchemy-style URL of the SQL registry (when PRICING_REGISTRY=sql).",
    )
    offline_store: Annotated[OfflineStore, NoDecode] = Field(
        default_factory=DuckDBOfflineStore,
        description="Feast offline store over the Parquet feature files: 'duckdb' (default, "
        "fast point-in-time joins), 'file' (Feast's Dask engine) or 'spark'.",
    )
    spark: SparkSettings = Field(
        default_factory=SparkSettings,
        description="Spark master, memory and shuffle partitions of the Spark feature engine "
        "and the Spark offline store (PRICING_SPARK__MASTER=spark://head:7077, ...).",
    )
    kafka: KafkaSettings = Field(
        default_factory=KafkaSettings,
        description="Kafka cluster, topics and consumer group of the real-time path "
        "(PRICING_KAFKA__BOOTSTRAP_SERVERS=host:9092, ...); empty servers = the embedded broker.",
    )
    ray: Annotated[RaySettings, NoDecode] = Field(
        default_factory=RaySettings,
        validation_alias=AliasChoices("PRICING_RAY", "PRICING_RAY_ADDRESS"),
        description="The Ray the agent trains on and its env runners and learners "
        "(PRICING_RAY__ADDRESS=head:6379, PRICING_RAY__ENV_RUNNERS=8, ...); no address = a "
        "private Ray. PRICING_RAY_ADDRESS, the flat spelling, sets the address alone.",
    )
    model_store: Path | None = Field(
        None,
        validation_alias=AliasChoices("PRICING_MODEL_STORE", "BENTOML_HOME"),
        description="BentoML's store of models and bentos; default <home>/bentoml "
        "(BENTOML_HOME, when set, is honoured).",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="Endpoint of an S3-compatible store for s3:// inputs (MinIO, ...); "
        "None = AWS. Credentials come from the usual AWS_* variables.",
    )
    verbose: bool = Field(
        False,
        description="Show the libraries' own logs and warnings (Ray, TensorFlow, Feast, absl); "
        "by default they go to <home>/logs and our progress alone is shown.",
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
    monitor: MonitorSettings = Field(
        default_factory=MonitorSettings,
        description="Drift monitor windows and thresholds (PRICING_MONITOR__*).",
    )
    service: ServiceSettings = Field(
        default_factory=ServiceSettings,
        description="How the pricing service runs: workers, limits, CORS (PRICING_SERVICE__*).",
    )
    api_key: SecretStr | None = Field(
        None,
        description="When set, every service endpoint but health requires "
        "`Authorization: Bearer <key>` (PRICING_API_KEY).",
    )
    service_url: str | None = Field(
        None,
        description="A running pricing service (http://host:port) the dashboard's what-if asks; "
        "None = the same models in process.",
    )
    bench_results: Path = Field(
        Path("bench/results"),
        description="Where `pricing bench ...` writes its JSON figures and plots.",
    )

    @model_validator(mode="before")
    @classmethod
    def _backends_from_names(cls, data: Any) -> Any:
        """``redis`` (or a JSON object) names a backend; a word takes its connection setting."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for field, connections in _CONNECTIONS.items():
            value = data.get(field)
            if isinstance(value, str) and value.lstrip().startswith("{"):
                value = json.loads(value)
            elif isinstance(value, str):
                value = {"type": value}
                if value["type"] in connections:
                    setting, option = connections[value["type"]]
                    if data.get(setting) is not None:
                        value[option] = data[setting]
            if value is not None:
                data[field] = value
        return data

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
        if not REDIS_URL.match(value):
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
    def stream_dir(self) -> Path:
        """The real-time path's state: the realtime view's offline log, the embedded broker's
        address, the consumer's status."""
        return self.home_dir / "stream"

    @property
    def decisions_dir(self) -> Path:
        return self.logs_dir / "decisions"

    @property
    def reports_dir(self) -> Path:
        """Monitor reports (Evidently HTML and JSON) and their history index."""
        return self.home_dir / "reports"

    @property
    def bentoml_home(self) -> Path:
        """BentoML's store of models and bentos: ``model_store`` when set, else in the home."""
        return self.model_store or self.home_dir / "bentoml"

    @property
    def prefect_home(self) -> Path:
        return self.home_dir / "prefect"

    @property
    def logs_dir(self) -> Path:
        return self.home_dir / "logs"

    @property
    def feast_project(self) -> str:
        """Feast project (and so Redis key prefix) derived from the home: two homes never share."""
        digest = hashlib.sha256(str(self.home_dir).encode()).hexdigest()[:10]
        return f"pricing_{digest}"

    def for_home(self, home: Path | str) -> Settings:
        """The same configuration for another home (its own data, store and models)."""
        return self.model_copy(update={"home": Path(home)})

    def as_environment(self) -> dict[str, str]:
        """``PRICING_*`` variables that give a child process these very settings."""
        env = {}
        dumped = self.model_dump(mode="json", exclude_none=True)
        dumped["kafka"] = self.kafka.exported()  # the dump masks the SASL password
        if self.api_key is not None:  # the dump masks it too; a child process needs it
            dumped["api_key"] = self.api_key.get_secret_value()
        for name, value in dumped.items():
            text = value if isinstance(value, str) else json.dumps(value)
            env[f"PRICING_{name.upper()}"] = text
        env["PRICING_HOME"] = str(self.home_dir)
        env["PRICING_MODEL_STORE"] = str(self.bentoml_home)
        return env


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment and ``.env`` by the edge
    (command line, service, flow) that then passes them on."""
    return Settings()
