"""The ``pricing`` command: one entry point for every stage of the platform.

The command line is the composition root: the one layer that reads the environment (once,
here), configures the libraries, and imports the adapters (``pricing_flows``,
``pricing_bentos``, ...); everything below it takes Settings as a value.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from pricing.cli import (
    bench,
    dashboard,
    data,
    demo,
    evaluate,
    flows,
    monitor,
    promote,
    serve,
    store,
    stream,
    train,
)
from pricing.cli.common import friendly_errors

app = typer.Typer(
    help="Dynamic pricing platform: data, features, Feast store, snapshots, demo.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Show the libraries' own logs (Ray, TensorFlow, Feast, absl)."
        ),
    ] = False,
) -> None:
    """Dynamic pricing platform: data, features, Feast store, models, service, flows."""
    from pricing.environment import configure_libraries
    from pricing.settings import get_settings

    if verbose:  # before the settings are read: child processes (service, flows) inherit it
        os.environ["PRICING_VERBOSE"] = "true"
    configure_libraries(get_settings())


app.add_typer(data.app, name="data")
app.add_typer(store.features_app, name="features")
app.add_typer(store.store_app, name="store")
app.add_typer(store.snapshot_app, name="snapshot")
app.add_typer(evaluate.app, name="evaluate")
app.add_typer(bench.app, name="bench")
app.add_typer(flows.app, name="flows")
app.add_typer(stream.app, name="stream")
app.command("demo")(demo.demo)
app.command("train")(friendly_errors(train.train))
app.command("build")(friendly_errors(serve.build))
app.command("serve")(friendly_errors(serve.serve))
app.command("promote")(friendly_errors(promote.promote))
app.command("rollback")(friendly_errors(promote.rollback))
app.command("monitor")(friendly_errors(monitor.monitor))
app.command("dashboard")(friendly_errors(dashboard.dashboard))

__all__ = ["app"]
