"""Model artefacts against their saved hashes: a missing or changed file is named; a model
saved before per-file hashes is checked as a whole and its directory named."""

from __future__ import annotations

import pytest

from pricing.registry import bind_bentoml, get_model, save_model, verify_stored
from pricing.serving.artefacts import (
    ArtefactError,
    artefact_problem,
    file_hashes,
    files_sha256,
    verify_artefacts,
)
from pricing.settings import Settings


@pytest.fixture
def model(tmp_path):
    """A model directory of two files (one nested) and the metadata save_model records."""
    directory = tmp_path / "model"
    (directory / "members").mkdir(parents=True)
    (directory / "policy.npz").write_bytes(b"\x00weights\x01")
    (directory / "members" / "member_0.json").write_text('{"trees": 1}')
    names = ["members/member_0.json", "policy.npz"]
    meta = {
        "files": names,
        "sha256": files_sha256(directory),
        "file_sha256": file_hashes(directory, names),
    }
    return directory, meta


def flip_one_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_intact_files_pass(model):
    directory, meta = model
    assert artefact_problem(directory, meta) is None
    verify_artefacts({"agent": (directory, meta)})


def test_a_missing_file_is_named(model):
    directory, meta = model
    (directory / "members" / "member_0.json").unlink()
    problem = artefact_problem(directory, meta)
    assert problem == f"model file {directory / 'members' / 'member_0.json'} is missing"


def test_one_changed_byte_is_named(model):
    directory, meta = model
    flip_one_byte(directory / "policy.npz")
    problem = artefact_problem(directory, meta)
    assert problem is not None and f"{directory / 'policy.npz'} is corrupt" in problem
    assert meta["file_sha256"]["policy.npz"][:16] in problem


def test_an_older_model_is_checked_whole_and_its_directory_named(model):
    directory, meta = model
    older = {k: v for k, v in meta.items() if k != "file_sha256"}
    assert artefact_problem(directory, older) is None
    (directory / "unrelated.yaml").write_text("creation_time: now")  # BentoML's own file
    assert artefact_problem(directory, older) is None
    flip_one_byte(directory / "policy.npz")
    problem = artefact_problem(directory, older)
    assert problem is not None and f"model files in {directory} are corrupt" in problem
    (directory / "policy.npz").unlink()
    assert artefact_problem(directory, older) == f"model file {directory / 'policy.npz'} is missing"


def test_verify_names_the_kind_and_the_file(model):
    directory, meta = model
    (directory / "policy.npz").unlink()
    with pytest.raises(
        ArtefactError, match=r"cannot serve the agent model: model file .*policy\.npz is missing"
    ):
        verify_artefacts({"agent": (directory, meta)})


def test_save_model_records_a_hash_per_file_and_keeps_the_combined_one(model, tmp_path):
    directory, meta = model
    settings = Settings(home=tmp_path / "home")
    saved = save_model(settings, "elasticity", directory, {"snapshot": "snap"})
    loaded = get_model(settings, "elasticity", saved.tag)
    assert loaded.sha256 == meta["sha256"] == files_sha256(directory)
    assert loaded.metadata["file_sha256"] == meta["file_sha256"]
    assert artefact_problem(loaded.path, loaded.metadata) is None  # the store's copy matches
    flip_one_byte(loaded.path / "members" / "member_0.json")
    assert "member_0.json is corrupt" in (artefact_problem(loaded.path, loaded.metadata) or "")


def test_verify_stored_checks_the_store_this_process_serves_from(model, tmp_path):
    directory, _ = model
    settings = Settings(home=tmp_path / "home")
    saved = save_model(settings, "agent", directory, {"snapshot": "snap"})
    bind_bentoml(settings)
    verify_stored({"agent": saved.tag})
    (saved.path / "policy.npz").unlink()
    with pytest.raises(ArtefactError, match=r"agent model: model file .*policy\.npz is missing"):
        verify_stored({"agent": saved.tag})
