"""Build and locate the pricing bento: pin the served models, then ``bentoml build``."""

from __future__ import annotations

import json
from pathlib import Path

from pricing.settings import Settings

LOCK_FILE = "served_models.json"
REPO_ROOT = Path(__file__).resolve().parents[2]
BENTOS_DIR = REPO_ROOT / "bentos"


def served_tags(settings: Settings, bentos_dir: Path = BENTOS_DIR) -> dict[str, str]:
    """Tags to serve: pinned by the build when present, else the home's prod (or latest)."""
    lock = bentos_dir / LOCK_FILE
    if lock.exists():
        return dict(json.loads(lock.read_text()))
    from pricing.serving.runtime import registry_models

    return {kind: ref.tag for kind, ref in registry_models(settings).items()}


def build_bento(settings: Settings, root: Path = REPO_ROOT) -> str:
    """Build a versioned bento of the service with the current prod models; its tag."""
    import bentoml

    from pricing.registry import bind_bentoml
    from pricing.serving.runtime import registry_models

    bind_bentoml(settings)
    tags = {kind: ref.tag for kind, ref in registry_models(settings).items()}
    lock = root / "bentos" / LOCK_FILE
    lock.write_text(json.dumps(tags, indent=2, sort_keys=True) + "\n")
    try:
        bento = bentoml.bentos.build_bentofile(
            str(root / "bentos" / "bentofile.yaml"), build_ctx=str(root)
        )
    finally:
        lock.unlink(missing_ok=True)
    return str(bento.tag)
