"""``pricing features | store | snapshot``: the Feast spine from the command line."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from pricing.cli.common import JSON_OPTION, console, emit_json, fail, friendly_errors, settings

features_app = typer.Typer(help="Feature engineering.", no_args_is_help=True)
store_app = typer.Typer(
    help="Feast feature store: apply, materialize, online.", no_args_is_help=True
)
snapshot_app = typer.Typer(help="Training snapshots (Feast saved datasets).", no_args_is_help=True)


@features_app.command("build")
@friendly_errors
def features_build(
    engine: Annotated[
        str,
        typer.Option(
            help="Feature engine: pandas (in process) or spark (PRICING_SPARK__MASTER: local "
            "cores or a cluster); both write the same tables."
        ),
    ] = "pandas",
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Compute the batch feature tables that Feast's sources read."""
    from pricing.features.build import build_features
    from pricing.features.engine import ENGINES

    if engine not in ENGINES:
        fail(f"unknown --engine {engine!r}; choose from {', '.join(sorted(ENGINES))}", code=2)
    cfg = settings()
    with console.status(f"building features ({engine})"):
        result = build_features(cfg, engine)
    for view, rows in result.rows.items():
        console.print(f"{view}: {rows} rows")
    if json_out:
        emit_json(
            {
                "engine": result.engine,
                "grain": result.grain,
                "rows": result.rows,
                "seconds": round(result.seconds, 3),
            }
        )


@store_app.command("apply")
@friendly_errors
def store_apply(json_out: Annotated[bool, JSON_OPTION] = False) -> None:
    """Register entities, feature views and feature services in the home's registry."""
    from pricing.store.ops import apply

    cfg = settings()
    with console.status("feast apply"):
        names = apply(cfg)
    console.print(f"applied to project {cfg.feast_project}: {', '.join(names)}")
    if json_out:
        emit_json({"project": cfg.feast_project, "applied": names})


@store_app.command("materialize")
@friendly_errors
def store_materialize(
    full: Annotated[
        bool, typer.Option("--full", help="Reload every view's whole ttl window.")
    ] = False,
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Load the online store up to PRICING_AS_OF: incrementally, or whole for views this
    online store has not been loaded with (a home switched to Redis) and with --full."""
    from pricing.store.ops import materialize

    cfg = settings()
    with console.status(f"materializing to {cfg.online_store.type}"):
        result = materialize(cfg, full=full)
    if result.views:
        whole = f" ({', '.join(result.full)} reloaded whole)" if result.full else ""
        console.print(
            f"materialized {', '.join(result.views)} up to {result.end.isoformat()}{whole}"
        )
    else:
        console.print(f"already materialized up to {result.end.isoformat()}")
    if json_out:
        emit_json(
            {
                "end": result.end.isoformat(),
                "views": result.views,
                "online_store": cfg.online_store.type,
                "full": result.full,
            }
        )


@store_app.command("online")
@friendly_errors
def store_online(
    product_ids: Annotated[list[str], typer.Argument(help="Product ids to read.")],
    location: Annotated[str, typer.Option(help="Location id.")] = "all",
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Print the online features of products (base features; model outputs once they exist),
    in catalogue order. Unknown ids, or ids with no feature online, exit 1 naming them."""
    from pricing.store.ops import known_online_features

    frame = known_online_features(settings(), product_ids, location)
    table = Table("feature", *frame["product_id"].astype(str))
    for column in frame.columns:
        if column not in ("product_id", "location_id"):
            table.add_row(column, *(_fmt(v, column) for v in frame[column]))
    console.print(table)
    if json_out:
        records = [
            {k: (None if _missing(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]
        emit_json({"features": records})


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fmt(value: object, column: str = "") -> str:
    if _missing(value):
        return "-"
    if column.startswith("realtime_") and column.endswith(("_time", "_start")):
        when = datetime.fromtimestamp(float(value), tz=UTC)  # type: ignore[arg-type]
        return when.isoformat(timespec="seconds")
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@snapshot_app.command("create")
@friendly_errors
def snapshot_create(json_out: Annotated[bool, JSON_OPTION] = False) -> None:
    """Point-in-time training data over pricing_features_v1, saved and content-hashed."""
    from pricing.store.snapshots import create_snapshot

    with console.status("get_historical_features"):
        info = create_snapshot(settings())
    console.print(f"snapshot {info.snapshot}: {info.rows} rows, sha256 {info.hash[:16]}...")
    if json_out:
        emit_json(info.as_dict())


@snapshot_app.command("list")
@friendly_errors
def snapshot_list(json_out: Annotated[bool, JSON_OPTION] = False) -> None:
    """Snapshots in the home's registry, oldest first."""
    from pricing.store.snapshots import list_snapshots

    rows = list_snapshots(settings())
    table = Table("snapshot", "rows", "as_of", "created_at")
    for row in rows:
        table.add_row(
            row["snapshot"], row.get("rows", ""), row.get("as_of", ""), row.get("created_at", "")
        )
    console.print(table)
    if json_out:
        emit_json({"snapshots": rows})


@snapshot_app.command("show")
@friendly_errors
def snapshot_show(
    snapshot: Annotated[str, typer.Argument(help="Snapshot id (snap_...).")],
    json_out: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """One snapshot's metadata: features, time range, hash, path, and the models trained
    from it."""
    from pricing.registry import list_models
    from pricing.store.snapshots import show_snapshot

    cfg = settings()
    info = show_snapshot(cfg, snapshot)
    info["models"] = [m.tag for m in list_models(cfg) if m.metadata.get("snapshot") == snapshot]
    for key, value in info.items():
        console.print(f"{key}: {value}")
    if json_out:
        emit_json(info)
