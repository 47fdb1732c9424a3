"""A home for the dashboard's tests: the shared trained home, with served decisions and a
drift-monitor run, as an operator would have it after `pricing serve` and `pricing monitor`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DECIDE = """
from pricing.data.home import HomeData
from pricing.serving.http_requests import Item
from pricing.serving.runtime import Runtime, registry_models
from pricing.settings import get_settings

cfg = get_settings()
runtime = Runtime(cfg, registry_models(cfg))
runtime.recommend([Item(product_id=p) for p in sorted(HomeData(cfg.data_dir).product_ids())])
runtime.close()
"""


def operator_env(home: Path, bentoml_home: Path) -> dict[str, str]:
    """This process's environment without the developer's PRICING_*, on ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    return env | {"PRICING_HOME": str(home), "BENTOML_HOME": str(bentoml_home)}


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{args}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


def prepare(home: Path, bentoml_home: Path) -> None:
    """Serve every product once (the decision log) and run the drift monitor, each in a
    process of its own, unless already done in this home."""
    env = operator_env(home, bentoml_home)
    if not (home / "logs" / "decisions").exists():
        _run(env, "-c", DECIDE)
    if not (home / "reports" / "monitor").exists():
        _run(env, "-m", "pricing.cli.main", "monitor")
