"""Build the pricing bento: the pricing and forecaster services, the ``pricing`` core, the
pinned prod model trio and the home's serving inputs.

The build context is staged in a temporary folder from the installed packages (a source
checkout or a wheel alike), so the bento never depends on where the repo lives. The home's
serving inputs (catalogue, Feast registry, guardrails, the forecaster's recent history) are
packed beside the services (:mod:`pricing.serving.bento_home`), so an exported bento serves
on a machine without the home, given only the online store's address.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from pricing.data.home import HomeData, NoDataError
from pricing.settings import Settings

SERVICE_PACKAGE = "pricing_bentos"
#: The bento's name (``name:`` in bentofile.yaml).
BENTO_NAME = "pricing"
#: Written into the bento by the build: the model tags it serves.
LOCK_FILE = "served_models.json"
#: Written into the bento by the build: the home's serving inputs.
PACKED_HOME = "home"
#: The models a bento pins and packs.
BENTO_KINDS = ("demand", "elasticity", "agent")


class ServiceStartError(NoDataError):
    """The service cannot start on this home: what is missing, and what fills it."""


def require_feature_store(settings: Settings) -> None:
    """Fail unless the home holds data and a Feast registry (a file registry is checked;
    a SQL one is reached by the worker)."""
    where = f"PRICING_HOME={settings.home_dir}"
    if "home" not in settings.model_fields_set:
        where += " (PRICING_HOME is not set: the default ./.pricing of the folder it runs in)"
    try:
        HomeData(settings.data_dir).require_grain()
    except NoDataError as error:
        raise ServiceStartError(f"cannot serve {where}: {error}") from None
    registry = settings.registry.feast_config(settings.feast_dir)
    if registry["registry_type"] == "file" and not Path(registry["path"]).exists():
        raise ServiceStartError(
            f"cannot serve {where}: no Feast registry at {registry['path']}; run `pricing "
            "store apply` and `pricing store materialize` (or `pricing train`) first"
        )


def prod_tags(settings: Settings) -> dict[str, str]:
    """The tags of the home's prod models (or the most recent) of the trio."""
    from pricing.registry import resolve_model

    return {kind: resolve_model(settings, kind).tag for kind in BENTO_KINDS}


def served_tags(settings: Settings) -> dict[str, str]:
    """Tags to serve: those the bento pinned when it was built, else the home's prod."""
    lock = files(SERVICE_PACKAGE) / LOCK_FILE
    if lock.is_file():
        return dict(json.loads(lock.read_text()))
    return prod_tags(settings)


def packed_home() -> Path | None:
    """The home's serving inputs packed into this bento (None outside a bento)."""
    packed = files(SERVICE_PACKAGE) / PACKED_HOME
    return Path(str(packed)) if packed.is_dir() else None


@functools.cache
def start_up() -> tuple[Settings, dict[str, str]]:
    """The settings and model tags of this service process, read once (``bentoml serve``
    imports the service first, then each worker of each service imports it again).

    Away from its home, a bento serves from the home it carries; a home without data or
    Feast registry stops the server once, here, naming what is missing, instead of BentoML
    restarting a failing worker forever while requests hang. A bento's models come from
    BentoML's own store for it (its own folder in a container); a module served from a
    checkout reads the home's model store.
    """
    from pricing.environment import configure_libraries
    from pricing.registry import bind_bentoml
    from pricing.serving.bento_home import serving_settings
    from pricing.settings import get_settings

    packed = packed_home()
    settings = serving_settings(get_settings(), packed)  # this process's edge
    configure_libraries(settings)
    try:
        require_feature_store(settings)
    except ServiceStartError as error:
        raise SystemExit(f"error: {error}") from None
    if not (files(SERVICE_PACKAGE) / LOCK_FILE).is_file():
        bind_bentoml(settings)
    return settings, served_tags(settings)


def latest_bento(settings: Settings) -> str | None:
    """The most recently built pricing bento in the home's bento store."""
    import bentoml
    from bentoml.exceptions import NotFound

    from pricing.registry import bind_bentoml

    bind_bentoml(settings)
    try:
        bentos = bentoml.bentos.list(BENTO_NAME)
    except NotFound:
        return None
    return str(max(bentos, key=lambda b: b.info.creation_time).tag) if bentos else None


def pinned_tags(settings: Settings, tag: str) -> dict[str, str]:
    """The model tags a built bento serves (empty if it pins none)."""
    import bentoml

    from pricing.registry import bind_bentoml

    bind_bentoml(settings)
    lock = Path(bentoml.bentos.get(tag).path) / "src" / SERVICE_PACKAGE / LOCK_FILE
    return dict(json.loads(lock.read_text())) if lock.is_file() else {}


def bento_path(settings: Settings, tag: str) -> Path:
    """The folder of a built bento in the home's bento store."""
    import bentoml

    from pricing.registry import bind_bentoml

    bind_bentoml(settings)
    return Path(bentoml.bentos.get(tag).path)


def export_bento(settings: Settings, tag: str, path: Path) -> Path:
    """Write a built bento, its models included, to a ``.bento`` archive (``bentoml import``
    reads it on another machine); the archive's path (``.bento`` added when missing)."""
    import bentoml

    from pricing.registry import bind_bentoml

    bind_bentoml(settings)
    target = path if path.suffix == ".bento" else path.with_name(path.name + ".bento")
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(bentoml.bentos.export_bento(tag, str(target)))


def _stage(package: str, target: Path, patterns: tuple[str, ...]) -> None:
    source = Path(str(files(package)))
    for pattern in patterns:
        for path in source.rglob(pattern):
            if "__pycache__" in path.parts:
                continue
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)


def _lookback(model_dir: Path) -> int:
    """Periods of history the demand model reads (from its saved configuration)."""
    from pricing.models.demand import META_FILE

    return int(json.loads((model_dir / META_FILE).read_text())["config"]["lookback"])


class BentoBuildError(RuntimeError):
    """``bentoml build`` failed; the message carries the end of its output."""


def build_bento(settings: Settings) -> str:
    """Build a versioned bento of the services with the current prod models and the home's
    serving inputs; its tag.

    ``bentoml build`` imports the service module, which reads its settings and pins its
    models when imported: it runs in a process of its own, given this home's settings (as a
    server would be), so a process that builds for several homes (the demo, a flow, tests)
    never packs the models a module imported earlier pinned for another home.
    """
    from pricing.registry import get_model
    from pricing.serving.bento_home import pack_home
    from pricing.serving.process import service_environment

    tags = prod_tags(settings)
    with tempfile.TemporaryDirectory(prefix="pricing-bento-") as tmp:
        context = Path(tmp)
        _stage("pricing", context / "pricing", ("*.py",))
        _stage(SERVICE_PACKAGE, context / SERVICE_PACKAGE, ("*.py", "bentofile.yaml"))
        lock = context / SERVICE_PACKAGE / LOCK_FILE
        lock.write_text(json.dumps(tags, indent=2, sort_keys=True) + "\n")
        demand = get_model(settings, "demand", tags["demand"])
        pack_home(settings, context / SERVICE_PACKAGE / PACKED_HOME, _lookback(demand.path))
        bentofile = context / SERVICE_PACKAGE / "bentofile.yaml"
        done = subprocess.run(
            [sys.executable, "-m", "bentoml", "build", str(context), "-f", str(bentofile),
             "--output", "tag"],
            env=service_environment(settings), cwd=context, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
    built = [line for line in done.stdout.splitlines() if line.startswith("__tag__:")]
    if done.returncode != 0 or not built:
        raise BentoBuildError(f"bentoml build failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return built[-1].removeprefix("__tag__:").strip()
