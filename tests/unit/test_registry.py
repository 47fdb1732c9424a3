"""The home's model store: versions, lineage metadata, hashes of the model's own files."""

from __future__ import annotations

import pytest

from pricing.registry import ModelNotFoundError, files_sha256, get_model, list_models, save_model
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
