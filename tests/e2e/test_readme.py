"""The README runs as written: every `pricing` command of its shell blocks (and the curl and
Python examples) on a fresh home made from a small file of the seed's format.

Rules, so the examples stay what a user types: blocks run in README order in one folder;
`export` sets the variable for the next commands; slow commands get `--quick`; long-running
ones (`serve`, `flows server`, `flows serve`, `stream broker`, `stream run`, `dashboard`) are
started in the background, awaited and stopped at the end; the README's ports (3000, 4200,
8501) become free ones;
a block that ingests a file other than `sales.csv` gets a fresh home of its own; `make` lines
are this suite itself.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from pricing.serving.process import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SLOW = (
    "train", "evaluate forecast", "evaluate elasticity", "evaluate calibration",
    "flows run pipeline", "demo",
)  # fmt: skip
LONG_RUNNING = (
    "serve", "flows server", "flows serve", "stream broker", "stream run", "dashboard",
)  # fmt: skip
PRICING = [sys.executable, "-m", "pricing.cli.main"]


def readme_blocks(path: Path) -> list[tuple[str, list[str]]]:
    """(language, commands) per fenced block; comments dropped, continuations joined."""
    blocks = []
    for language, body in re.findall(r"```(\w*)\n(.*?)```", path.read_text(), re.S):
        if language == "python":
            blocks.append((language, [body]))
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        commands = [re.sub(r"\s+#\s.*$", "", line).strip() for line in joined.splitlines()]
        blocks.append((language, [c for c in commands if c and not c.startswith("#")]))
    return [b for b in blocks if b[0] in ("bash", "python")]


def write_sales(path: Path, products: int = 3, days: int = 150) -> None:
    """A user's file in the seed's format: prices that move, a competitor, stock."""
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = [
        {
            "Product_ID": f"SKU-{p + 1}",
            "Date": d.date().isoformat(),
            "Sales": 20 + (i * (p + 3)) % 11 - (i // 10) % 3,
            "Price": round(3.99 + 0.5 * p + 0.25 * ((i // 10) % 3), 2),
            "Competitor_Price": round(4.2 + 0.5 * p - 0.1 * ((i // 15) % 2), 2),
            "Inventory": 400 - (i % 30) * 5,
        }
        for p in range(products)
        for i, d in enumerate(dates)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)


def write_avocado(path: Path) -> None:
    """The README's `--map` example: Kaggle's avocado layout, ids joined from two columns."""
    dates = pd.date_range("2024-01-07", periods=20, freq="W")
    rows = [
        {"Date": d.date().isoformat(), "region": region, "type": kind,
         "Total Volume": 1000 + 10 * i, "AveragePrice": 1.2 + 0.01 * (i % 5)}
        for region in ("Albany", "Boston") for kind in ("conventional", "organic")
        for i, d in enumerate(dates)
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)


FILES = {"sales.csv": write_sales, "avocado.csv": write_avocado}


class Session:
    """A shell of sorts: one folder, an environment, background processes to stop."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PRICING_", "PREFECT_"))
        }
        self.env.pop("BENTOML_HOME", None)
        self.ports = {port: str(free_port()) for port in ("3000", "4200", "8501")}
        self.background: list[subprocess.Popen[bytes]] = []

    def expand(self, command: str) -> str:
        for readme, ours in self.ports.items():
            command = command.replace(readme, ours)
        return command.replace("$PWD", str(self.folder))

    def fresh_home(self, name: str) -> None:
        self.env["PRICING_HOME"] = str(self.folder / name)

    def run(self, command: str) -> None:
        command = self.expand(command)
        if command.startswith("export "):
            name, _, value = command.removeprefix("export ").partition("=")
            self.env[name] = value
            return
        words = shlex.split(command)
        if words[0] == "curl":
            done = subprocess.run([*words, "--fail-with-body"], cwd=self.folder, env=self.env,
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
            assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
            answer = json.loads(done.stdout)
            if "/recommend" in command:  # a README product is priced; any other named
                for item in answer["items"]:
                    key = "recommended_price" if item["product_id"].startswith("SKU-") else "error"
                    assert item.get(key), (command, item)
            return
        assert words[0] == "pricing", f"the README's shell blocks run pricing commands: {command}"
        args = words[1:]
        verb = " ".join(a for a in args[:3] if not a.startswith("-"))
        if any(verb.startswith(slow) for slow in SLOW) and "--quick" not in args:
            args.append("--quick")
        if any(verb == long or verb.startswith(long + " ") for long in LONG_RUNNING):
            self.start(args, command)
            return
        done = subprocess.run([*PRICING, *args], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=900)  # fmt: skip
        assert done.returncode == 0, (command, done.stderr[-3000:])
        assert "Traceback" not in done.stderr, (command, done.stderr[-3000:])

    def start(self, args: list[str], command: str) -> None:
        log = self.folder / f"bg{len(self.background)}.log"
        process = subprocess.Popen(
            [*PRICING, *args], cwd=self.folder, env=self.env, stdout=log.open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.background.append(process)
        port = next((p for p in self.ports.values() if p in command), None)
        if port is None:  # nothing to call (flows serve): still running after 10 s is started
            time.sleep(10)
            assert process.poll() is None, (command, log.read_text()[-3000:])
            return
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert process.poll() is None, (command, log.read_text()[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(1)
        raise AssertionError(f"{command} did not come up: {log.read_text()[-3000:]}")

    def python(self, code: str) -> None:
        done = subprocess.run([sys.executable, "-c", self.expand(code)], cwd=self.folder,
                              env=self.env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, (code, done.stderr[-3000:])
        assert "SKU-1" in done.stdout, done.stdout

    def stop(self) -> None:
        for process in reversed(self.background):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.background:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    shell = Session(tmp_path)
    try:
        yield shell
    finally:
        shell.stop()


def test_the_readme_runs_as_written(session, request):
    blocks = readme_blocks(request.config.rootpath / "README.md")
    assert any("pricing serve" in " ".join(cmds) for _, cmds in blocks)
    for name, write in FILES.items():
        write(session.folder / name)
    for language, commands in blocks:
        if language == "python":
            session.python(commands[0])
            continue
        other_file = next(
            (f for f in FILES if f != "sales.csv" and any(f in c for c in commands)), None
        )
        if other_file:
            session.fresh_home(f".pricing-{Path(other_file).stem}")
        for command in commands:
            if command.startswith("make "):
                continue  # `make demo` / `make test`: this suite is `make test`
            session.run(command)
