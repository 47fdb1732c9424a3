"""``pricing dashboard``: the Streamlit dashboard over this home, as a supervised child."""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.common import console, settings

ENTRY_MODULE = "pricing_app.pages.dashboard"


def entry_script() -> Path:
    """The installed app's entry script (``streamlit run`` takes a file, not a module)."""
    spec = find_spec(ENTRY_MODULE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{ENTRY_MODULE} is not installed; reinstall the pricing package")
    return Path(spec.origin)


def streamlit_command(host: str, port: int) -> list[str]:
    """``streamlit run`` of the entry script: headless, usage statistics off, no file
    watcher (the installed app does not change under it), Streamlit's own logs at warnings."""
    return [
        sys.executable, "-m", "streamlit", "run", str(entry_script()),
        "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none",
        "--logger.level", "warning",
    ]  # fmt: skip


def dashboard(
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8501,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Start the dashboard (KPIs, price trends, inventory, forecasts, what-if, drift, models,
    decision log) on this home; SIGTERM or Ctrl-C stops it."""
    from pricing.processes import supervise

    cfg = settings()
    env = dict(os.environ) | cfg.as_environment()
    console.print(f"dashboard of {cfg.home_dir} on http://{host}:{port}")
    if cfg.service_url:
        console.print(f"the what-if asks the pricing service at {cfg.service_url}")
    raise typer.Exit(supervise(streamlit_command(host, port), env))
