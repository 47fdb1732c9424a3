"""The pipeline's stage order and rules, on a recording stand-in for the stages."""

from __future__ import annotations

from typing import Any

from pricing.pipeline import TRAINING_ORDER, run_pipeline


class Recorder:
    """Stages that record their calls; ``promoted`` decides the promotion's answer."""

    def __init__(self, promoted: bool = True, prod: dict[str, str] | None = None) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.promoted, self.prod = promoted, prod

    def build_features(self) -> dict[str, Any]:
        self.calls.append(("build_features",))
        return {"grain": "daily"}

    def materialize(self) -> dict[str, Any]:
        self.calls.append(("materialize",))
        return {"views": ["sales_stats"]}

    def snapshot(self) -> str:
        self.calls.append(("snapshot",))
        return "snap_new"

    def train(self, kind: str, snapshot: str) -> dict[str, str]:
        self.calls.append(("train", kind, snapshot))
        return {"tag": f"pricing-{kind}:v1", "sha256": "0"}

    def publish(self, snapshot: str, demand_tag: str, elasticity_tag: str) -> None:
        self.calls.append(("publish", snapshot, demand_tag, elasticity_tag))

    def promote(self) -> dict[str, Any]:
        self.calls.append(("promote",))
        prod = self.prod if self.prod is not None else {"agent": "pricing-agent:v1"}
        return {"promoted": self.promoted, "reasons": ["r"], "prod_after": prod or None}


def test_stages_run_in_order_and_publish_the_complete_trio():
    stages = Recorder()
    built: list[str] = []
    summary = run_pipeline(stages, build_bento=lambda: built.append("b") or "pricing:b1")
    assert stages.calls == [
        ("build_features",),
        ("materialize",),
        ("snapshot",),
        *[("train", kind, "snap_new") for kind in TRAINING_ORDER],
        ("publish", "snap_new", "pricing-demand:v1", "pricing-elasticity:v1"),
        ("promote",),
    ]
    assert built == ["b"] and summary["bento"] == "pricing:b1"
    assert set(summary["models"]) == set(TRAINING_ORDER)
    assert summary["promotion"] == {
        "promoted": True,
        "reasons": ["r"],
        "prod_after": {"agent": "pricing-agent:v1"},
    }


def test_train_starts_from_the_store_and_a_given_snapshot():
    stages = Recorder()
    summary = run_pipeline(stages, features=False, snapshot="snap_given")
    names = [call[0] for call in stages.calls]
    assert "build_features" not in names and "snapshot" not in names
    assert ("train", "agent", "snap_given") in stages.calls
    assert summary["snapshot"] == "snap_given" and "bento" not in summary


def test_no_bento_without_a_prod_set():
    built: list[str] = []
    summary = run_pipeline(
        Recorder(promoted=False, prod={}), build_bento=lambda: built.append("b") or "x"
    )
    assert built == [] and "bento" not in summary
