"""The ``pricing`` command: one entry point for every stage of the platform."""

from __future__ import annotations

import typer

from pricing.cli import bench, data, demo, evaluate, flows, promote, serve, store, train
from pricing.cli.common import friendly_errors

app = typer.Typer(
    help="Dynamic pricing platform: data, features, Feast store, snapshots, demo.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(data.app, name="data")
app.add_typer(store.features_app, name="features")
app.add_typer(store.store_app, name="store")
app.add_typer(store.snapshot_app, name="snapshot")
app.add_typer(evaluate.app, name="evaluate")
app.add_typer(bench.app, name="bench")
app.add_typer(flows.app, name="flows")
app.command("demo")(demo.demo)
app.command("train")(friendly_errors(train.train))
app.command("build")(friendly_errors(serve.build))
app.command("serve")(friendly_errors(serve.serve))
app.command("promote")(friendly_errors(promote.promote))
app.command("rollback")(friendly_errors(promote.rollback))

__all__ = ["app"]
