"""Model artefacts checked against the hashes recorded when they were saved.

A model whose files went missing or changed after training (a half-copied store, a bad disk,
a hand edit) must stop the service before it prices anything with it. ``save_model`` records
``file_sha256`` (one digest per file) next to ``sha256`` (one digest over all of a model's own
files); a model saved before per-file digests existed is checked against ``sha256``, which
can only name its directory, not the file that differs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


class ArtefactError(RuntimeError):
    """A model file is missing or differs from the one saved; the message names it."""


def file_sha256(path: Path) -> str:
    """sha256 of one file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def files_sha256(directory: Path, names: Iterable[str] | None = None) -> str:
    """sha256 over the (relative name, bytes) of a model's own files, in sorted order
    (all files under ``directory`` unless ``names`` says which)."""
    wanted = None if names is None else set(names)
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if wanted is None or rel in wanted:
            digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def file_hashes(directory: Path, names: Iterable[str]) -> dict[str, str]:
    """Per-file sha256 of ``names`` (relative paths under ``directory``)."""
    return {name: file_sha256(directory / name) for name in sorted(names)}


def artefact_problem(directory: Path, metadata: Mapping[str, Any]) -> str | None:
    """Why a model's files cannot be trusted (None when they match what was saved).

    Checked in order: every recorded file is present, each per-file digest matches, and, for
    a model saved without per-file digests, the combined ``sha256``.
    """
    per_file: Mapping[str, str] = metadata.get("file_sha256") or {}
    names = sorted(per_file) or sorted(metadata.get("files") or [])
    for name in names:
        if not (directory / name).is_file():
            return f"model file {directory / name} is missing"
    for name, expected in sorted(per_file.items()):
        actual = file_sha256(directory / name)
        if actual != expected:
            return (
                f"model file {directory / name} is corrupt: sha256 {actual[:16]}..., "
                f"saved as {expected[:16]}..."
            )
    combined = metadata.get("sha256")
    if not per_file and combined and names and files_sha256(directory, names) != combined:
        return (
            f"model files in {directory} are corrupt: their sha256 differs from the one saved "
            f"({str(combined)[:16]}...); the model predates per-file hashes, so the file "
            "cannot be named"
        )
    return None


def verify_artefacts(models: Mapping[str, tuple[Path, Mapping[str, Any]]]) -> None:
    """Raise :class:`ArtefactError` for the first model (by kind) whose files do not match."""
    for kind, (directory, metadata) in sorted(models.items()):
        problem = artefact_problem(directory, metadata)
        if problem is not None:
            raise ArtefactError(f"cannot serve the {kind} model: {problem}")
