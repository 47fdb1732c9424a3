"""The BentoML model store of a home: save and load the model trio with their lineage.

Each model is a directory of files (XGBoost JSON, a .keras file, the exported agent) saved
with ``bentoml.models.create``; metadata names the snapshot, feature service, parameters,
metrics, data hash and code version. ``sha256`` covers the model's own files only (BentoML's
metadata file carries a timestamp), so the same training gives the same hash; ``file_sha256``
holds one digest per file, so a service that finds one changed can name it.

BentoML has no aliases: ``<BENTOML_HOME>/aliases.json`` holds the ``prod`` set (a tag per
kind) and the earlier prod sets, and this module is its one reader and writer.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pricing.data.home import write_json_atomic
from pricing.serving.artefacts import file_hashes, files_sha256, verify_artefacts
from pricing.settings import Settings

MODEL_NAMES = {
    "demand": "pricing-demand",
    "elasticity": "pricing-elasticity",
    "agent": "pricing-agent",
}


class ModelNotFoundError(LookupError):
    """No model of that kind (or tag) in the home's model store."""


@dataclass(frozen=True)
class SavedModel:
    kind: str
    tag: str
    sha256: str
    path: Path
    metadata: Mapping[str, Any]


def _store(settings: Settings) -> Any:
    from bentoml._internal.models.model import ModelStore

    path = settings.bentoml_home / "models"
    path.mkdir(parents=True, exist_ok=True)
    return ModelStore(str(path))


def _package() -> Traversable:
    """The installed ``pricing`` package (a checkout's folder in an editable install)."""
    return files("pricing")


def code_version() -> str:
    """The git commit of the code that trained (``unknown`` outside a checkout)."""
    package = _package()
    if not isinstance(package, Path):
        return "unknown"
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=package
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _sources(folder: Traversable, prefix: str = "") -> Iterable[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _sources(entry, f"{name}/")
        elif entry.name.endswith(".py"):
            yield name, entry


def sources_sha256(root: Traversable) -> str:
    """sha256 over the (relative path, bytes) of the .py files under ``root``, in sorted
    path order."""
    digest = hashlib.sha256()
    for name, entry in sorted(_sources(root), key=lambda found: found[0]):
        digest.update(name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()


@functools.cache
def source_fingerprint() -> str:
    """The code version of the installed ``pricing`` package: :func:`sources_sha256` of its
    .py files, so it changes whenever the code does, committed or not, in a checkout or not.
    Computed once per process."""
    return sources_sha256(_package())


def save_model(
    settings: Settings, kind: str, source_dir: Path, metadata: Mapping[str, Any]
) -> SavedModel:
    """Copy a trained model's files into the store as a new version of ``kind``."""
    import bentoml

    files = sorted(
        p.relative_to(source_dir).as_posix() for p in source_dir.rglob("*") if p.is_file()
    )
    sha = files_sha256(source_dir)
    meta = {
        **metadata,
        "sha256": sha,
        "file_sha256": file_hashes(source_dir, files),  # checked when served: artefacts.py
        "files": files,
        "code_version": code_version(),
    }
    labels = {"kind": kind, "snapshot": str(metadata.get("snapshot", ""))}
    with bentoml.models.create(
        MODEL_NAMES[kind], metadata=meta, labels=labels, _model_store=_store(settings)
    ) as model:
        for name in files:
            target = Path(model.path) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_dir / name, target)
    # ``model.path`` was a temporary directory until the ``with`` block moved it into the store.
    return get_model(settings, kind, str(model.tag))


def get_model(settings: Settings, kind: str, tag: str | None = None) -> SavedModel:
    """A stored model by tag, or the most recently trained of its kind."""
    from bentoml.exceptions import NotFound

    store = _store(settings)
    try:
        if tag is None:
            models = _versions(store, kind)
            if not models:
                raise NotFound(kind)
            model = models[-1]
        else:
            model = store.get(tag)
    except NotFound as exc:
        raise ModelNotFoundError(
            f"no {kind} model {tag or ''} in {settings.bentoml_home}; run `pricing train`"
        ) from exc
    meta = dict(model.info.metadata)
    return SavedModel(kind, str(model.tag), meta.get("sha256", ""), Path(model.path), meta)


def verify_stored(tags: Mapping[str, str]) -> None:
    """Check the files of each ``{kind: tag}`` against the hashes saved with them
    (:class:`pricing.serving.artefacts.ArtefactError` names the first missing or changed one),
    in the model store this process serves from: the home's once :func:`bind_bentoml` ran,
    else BentoML's own (a bento's)."""
    import bentoml

    stored = {kind: bentoml.models.get(tag) for kind, tag in tags.items()}
    verify_artefacts({k: (Path(m.path), dict(m.info.metadata)) for k, m in stored.items()})


def _versions(store: Any, kind: str) -> list[Any]:
    """All versions of a kind, oldest first (BentoML raises rather than return [])."""
    from bentoml.exceptions import NotFound

    try:
        return sorted(store.list(MODEL_NAMES[kind]), key=lambda m: m.creation_time)
    except NotFound:
        return []


def list_models(settings: Settings, kind: str | None = None) -> list[SavedModel]:
    store = _store(settings)
    kinds = [kind] if kind else list(MODEL_NAMES)
    found = []
    for k in kinds:
        for model in _versions(store, k):
            meta = dict(model.info.metadata)
            found.append(
                SavedModel(k, str(model.tag), meta.get("sha256", ""), Path(model.path), meta)
            )
    return found


ALIASES_FILE = "aliases.json"


def read_aliases(settings: Settings) -> dict[str, Any]:
    """The aliases file: ``{"prod": {kind: tag}, "history": [earlier prod sets, oldest
    first]}``; empty before the first promotion."""
    path = settings.bentoml_home / ALIASES_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def prod_set(settings: Settings) -> dict[str, str] | None:
    """The tags ``prod`` names, per kind (None before the first promotion)."""
    return read_aliases(settings).get("prod")


def prod_history(settings: Settings) -> list[dict[str, str]]:
    """The sets ``prod`` named before, oldest first (what ``rollback`` returns to)."""
    return read_aliases(settings).get("history", [])


def set_prod(settings: Settings, tags: dict[str, str], history: list[dict[str, str]]) -> None:
    """Point ``prod`` at ``tags``, with the earlier sets (written atomically)."""
    write_json_atomic({"prod": tags, "history": history}, settings.bentoml_home / ALIASES_FILE)


def alias_tag(settings: Settings, kind: str, alias: str = "prod") -> str | None:
    """The tag an alias points to for a kind (None when unset)."""
    return read_aliases(settings).get(alias, {}).get(kind)


def resolve_model(settings: Settings, kind: str, alias: str = "prod") -> SavedModel:
    """The one place serving and flows pick a model: the alias, else the most recent."""
    return get_model(settings, kind, alias_tag(settings, kind, alias))


def bind_bentoml(settings: Settings) -> None:
    """Point BentoML's process-wide model and bento stores at this home's.

    BentoML reads BENTOML_HOME once per process; a process that serves, builds or tests more
    than one home (or set the variable late) would otherwise look in the wrong store.
    """
    from bentoml._internal.bento import BentoStore
    from bentoml._internal.configuration.containers import BentoMLContainer

    BentoMLContainer.model_store.set(_store(settings))
    bentos = settings.bentoml_home / "bentos"
    bentos.mkdir(parents=True, exist_ok=True)
    BentoMLContainer.bento_store.set(BentoStore(str(bentos)))
