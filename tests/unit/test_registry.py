"""The home's model store: versions, lineage metadata, hashes of the model's own files, the
code version, and the aliases file."""

from __future__ import annotations

import shutil
import subprocess
from importlib.resources import files

import pytest

from pricing import registry
from pricing.registry import (
    ModelNotFoundError,
    alias_tag,
    code_version,
    files_sha256,
    get_model,
    list_models,
    prod_history,
    prod_set,
    save_model,
    set_prod,
    source_fingerprint,
    sources_sha256,
)
from pricing.settings import Settings


def test_save_get_and_list_versions(tmp_path):
    settings = Settings(home=tmp_path / "home")
    source = tmp_path / "model"
    source.mkdir()
    (source / "member_0.json").write_text('{"trees": 1}')
    first = save_model(settings, "elasticity", source, {"snapshot": "snap_a", "metrics": {"x": 1}})
    second = save_model(settings, "elasticity", source, {"snapshot": "snap_a"})
    assert first.tag != second.tag and first.sha256 == second.sha256 == files_sha256(source)
    assert get_model(settings, "elasticity").tag == second.tag  # latest by default
    loaded = get_model(settings, "elasticity", first.tag)
    assert loaded.metadata["snapshot"] == "snap_a" and loaded.metadata["metrics"] == {"x": 1}
    assert (loaded.path / "member_0.json").read_text() == '{"trees": 1}'
    assert [m.tag for m in list_models(settings, "elasticity")] == [first.tag, second.tag]
    assert str(settings.bentoml_home).startswith(str(tmp_path))


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="pricing train"):
        get_model(Settings(home=tmp_path), "agent")


def test_hash_ignores_nothing_but_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d, order in ((a, ["x", "y"]), (b, ["y", "x"])):
        d.mkdir()
        for name in order:
            (d / name).write_text(name)
    assert files_sha256(a) == files_sha256(b)
    (b / "x").write_text("changed")
    assert files_sha256(a) != files_sha256(b)


def test_sources_hash_covers_python_files_by_relative_path(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "sub").mkdir(parents=True)
        (root / "mod.py").write_text("x = 1\n")
        (root / "sub" / "deep.py").write_text("y = 2\n")
    (b / "notes.txt").write_text("not code")
    assert sources_sha256(a) == sources_sha256(b)  # only .py files count
    (b / "sub" / "deep.py").write_text("y = 3\n")
    assert sources_sha256(a) != sources_sha256(b)
    (b / "sub" / "deep.py").rename(b / "deep.py")  # same bytes, another path
    (b / "deep.py").write_text("y = 2\n")
    assert sources_sha256(a) != sources_sha256(b)


def test_source_fingerprint_is_the_installed_package_hash():
    fingerprint = source_fingerprint()
    assert len(fingerprint) == 64 and set(fingerprint) <= set("0123456789abcdef")
    assert fingerprint == sources_sha256(files("pricing"))
    assert source_fingerprint() is fingerprint  # computed once per process


def test_code_version_is_the_checkout_commit_or_unknown(tmp_path, monkeypatch):
    package = files("pricing")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=package, check=False
    ).stdout.strip()
    assert code_version() == (head or "unknown")
    monkeypatch.setattr(registry, "_package", lambda: tmp_path)  # not a checkout
    assert code_version() == "unknown"


def test_aliases_prod_history_and_alias_tags(tmp_path):
    settings = Settings(home=tmp_path / "home")
    assert prod_set(settings) is None and prod_history(settings) == []
    assert alias_tag(settings, "agent") is None
    first = {"demand": "d:1", "elasticity": "e:1", "agent": "a:1"}
    second = {"demand": "d:2", "elasticity": "e:2", "agent": "a:2"}
    set_prod(settings, first, [])
    set_prod(settings, second, [first])
    assert prod_set(settings) == second and prod_history(settings) == [first]
    assert alias_tag(settings, "agent") == "a:2"
    assert alias_tag(settings, "agent", alias="staging") is None
