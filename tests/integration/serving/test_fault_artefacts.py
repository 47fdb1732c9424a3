"""A model file missing or changed (one byte) after training: `bentoml serve` refuses to
start, once, exiting non-zero with a message naming the file, instead of serving prices from
a broken model or restarting a failing worker forever. Each case breaks a copy of the model
store, never the session's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from pricing.processes import free_port
from pricing.registry import resolve_model
from pricing.serving.process import service_environment
from pricing.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "pricing_bentos.service:Pricing"
#: `bentoml serve` must have given up within this (it imports the service once, then exits).
EXIT_WITHIN_S = 120.0


def delete(path) -> None:
    path.unlink()


def flip_one_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [delete, flip_one_byte], ids=["deleted", "one_byte_changed"])
@pytest.mark.parametrize("kind", ["agent", "elasticity"])
def test_a_broken_model_file_stops_the_service_naming_it(trained_home, tmp_path, kind, damage):
    home, bentoml_home = trained_home
    store = tmp_path / "bentoml"
    shutil.copytree(bentoml_home, store, symlinks=True)
    settings = Settings(home=home, model_store=store)
    model = resolve_model(settings, kind)  # what the service serves
    hashes = model.metadata["file_sha256"]  # saved by this code: one hash per file
    name = sorted(hashes)[-1]
    damage(model.path / name)

    began = time.monotonic()
    started = subprocess.run(
        [sys.executable, "-m", "bentoml", "serve", SERVICE, "--port", str(free_port())],
        env=service_environment(settings), cwd=tmp_path, capture_output=True, text=True,
        timeout=EXIT_WITHIN_S,
    )  # fmt: skip
    took = time.monotonic() - began
    output = started.stdout + started.stderr
    print(f"\n{kind} {name} {damage.__name__}: exit {started.returncode} after {took:.1f}s")
    assert started.returncode != 0
    assert str(model.path / name) in output, output[-3000:]
    expected = "is missing" if damage is delete else "is corrupt"
    assert f"error: cannot serve the {kind} model: model file" in output and expected in output
    assert output.count("cannot serve") == 1  # once, before any worker started
    assert "Traceback" not in output
