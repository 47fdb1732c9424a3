"""The demo pipeline on embedded defaults: data -> features -> Feast -> snapshot -> online.

Each later stage of the platform (training, serving, monitoring) appends its step here.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pricing.settings import Settings

DATASETS = ("synthetic", "oj", "retail_price")
#: PPO iterations in the demo: a short run so `make demo` stays within minutes; the
#: benchmark's agent comes from `pricing train` (40 iterations).
DEMO_AGENT_ITERATIONS = 8


@dataclass(frozen=True)
class DemoSizes:
    products: int
    days: int

    @classmethod
    def pick(cls, products: int | None, days: int | None, quick: bool) -> DemoSizes:
        default = cls(8, 120) if quick else cls(50, 730)
        return cls(products or default.products, days or default.days)


@dataclass
class DemoResult:
    home: str
    dataset: str
    steps: dict[str, Any] = field(default_factory=dict)


Step = tuple[str, Callable[[], Any]]


def demo_home(settings: Settings, dataset: str) -> Settings:
    """One grain per home: real data sets get a sibling home ``<home>-<dataset>``."""
    if dataset == "synthetic":
        return settings
    return settings.model_copy(
        update={"home": settings.home_dir.with_name(f"{settings.home_dir.name}-{dataset}")}
    )


def demo_steps(
    settings: Settings, dataset: str, sizes: DemoSizes, seed: int, quick: bool = False
) -> list[Step]:
    """The ordered steps; each returns a small summary for the result."""
    from pricing.data.adapters import DATASETS as LOADERS
    from pricing.data.adapters import default_datasets_dir
    from pricing.data.home import HomeData
    from pricing.data.ingest import store_batch
    from pricing.data.synthetic import generate_into_home
    from pricing.features.build import build_features
    from pricing.store import ops, snapshots
    from pricing.training import train_all

    def data() -> Any:
        if dataset == "synthetic":
            return generate_into_home(
                settings, sizes.products, sizes.days, seed, overwrite=True
            ).summary.as_dict()
        batch = LOADERS[dataset](default_datasets_dir())
        home = HomeData(settings.data_dir)
        return store_batch(home, batch, source=f"dataset:{dataset}", replace=True).as_dict()

    return [
        ("data", data),
        ("features", lambda: build_features(settings).rows),
        ("apply", lambda: len(ops.apply(settings))),
        ("materialize", lambda: ops.materialize(settings).end.isoformat()),
        ("snapshot", lambda: snapshots.create_snapshot(settings).as_dict()),
        (
            "train",
            lambda: train_all(
                settings,
                quick=quick,
                seed=seed,
                agent_iterations=None if quick else DEMO_AGENT_ITERATIONS,
            ),
        ),
        ("online", lambda: sample_online(settings)),
    ]


def sample_online(settings: Settings, n: int = 3) -> list[dict[str, Any]]:
    from pricing.data.home import HomeData
    from pricing.store.ops import online_features

    sales = HomeData(settings.data_dir).read("sales")
    keys = sales[["product_id", "location_id"]].drop_duplicates().head(n)
    rows = []
    for location, group in keys.groupby("location_id"):
        frame = online_features(settings, group["product_id"].tolist(), str(location))
        rows.extend(frame.to_dict(orient="records"))
    return rows


def reset_home(settings: Settings) -> None:
    """The demo owns its home's generated state: start clean so reruns are reproducible."""
    for path in (
        settings.data_dir,
        settings.features_dir,
        settings.feast_dir,
        settings.snapshots_dir,
        settings.generated_dir,
    ):
        shutil.rmtree(path, ignore_errors=True)
