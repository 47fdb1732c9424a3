"""Every dashboard page under Streamlit's AppTest: on an empty home, a home with data but no
models, and a trained home with decisions and a monitor run: never an exception, and the
page's key elements (or what to run) present."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pricing.cli.dashboard import entry_script, streamlit_command
from pricing.data.synthetic import generate_into_home
from pricing.settings import Settings, get_settings
from pricing_app.pages import PAGES
from tests.integration.app.dashboard_home import prepare

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PAGES_DIR = entry_script().parent  # the installed pages, as `pricing dashboard` runs them
NAMES = [name for name, _, _ in PAGES]
TITLES = {name: title for name, title, _ in PAGES}


@pytest.fixture
def on_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path, Path], None]]:
    """Point the dashboard (its settings, read through get_settings) at a home.

    AppTest runs a page as ``sys.modules["__main__"]`` and leaves it there; restored after
    the test, or a process this worker later spawns (the stream benchmark's consumer) would
    start by running the page script."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])

    def point(home: Path, bentoml_home: Path) -> None:
        monkeypatch.setenv("PRICING_HOME", str(home))
        monkeypatch.setenv("BENTOML_HOME", str(bentoml_home))
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


def run(name: str) -> AppTest:
    page = AppTest.from_file(str(PAGES_DIR / f"{name}.py"), default_timeout=120)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.title[0].value.startswith(TITLES[name])
    return page


def texts(page: AppTest) -> str:
    boxes = [*page.info, *page.warning, *page.caption, *page.markdown]
    return "\n".join(str(box.value) for box in boxes)


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_home_says_what_to_run(name, on_home, tmp_path):
    on_home(tmp_path / "empty", tmp_path / "empty" / "bentoml")
    page = run(name)
    assert "`pricing demo`" in page.info[0].value
    assert not page.get("plotly_chart")


@pytest.fixture(scope="module")
def untrained_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("untrained") / "home"
    generate_into_home(Settings(home=home), products=3, days=40, seed=1)
    return home


EXPECT_UNTRAINED = {
    "overview": (2, "No served decisions yet"),
    "trends": (1, "No served recommendation"),
    "inventory": (1, "Lowest cover"),
    "forecast": (0, "`pricing train`"),
    "whatif": (0, "`pricing train`"),
    "drift": (0, "`pricing monitor`"),
    "models": (0, "`pricing train`"),
    "decisions": (0, "`pricing serve`"),
}


@pytest.mark.parametrize("name", NAMES)
def test_a_home_without_models_says_what_to_run(name, on_home, untrained_home):
    on_home(untrained_home, untrained_home / "bentoml")
    page = run(name)
    charts, text = EXPECT_UNTRAINED[name]
    assert len(page.get("plotly_chart")) == charts
    shown = texts(page) + "".join(str(s.value) for s in page.subheader)
    assert text in shown


@pytest.fixture(scope="module")
def dashboard_home(trained_home) -> tuple[Path, Path]:
    prepare(*trained_home)
    return trained_home


EXPECT_TRAINED = {"overview": 2, "trends": 1, "inventory": 1, "forecast": 1, "whatif": 1,
                  "drift": 3, "models": 0, "decisions": 0}  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_a_trained_home_shows_every_page(name, on_home, dashboard_home):
    on_home(*dashboard_home)
    page = run(name)
    assert len(page.get("plotly_chart")) == EXPECT_TRAINED[name]
    assert not page.info, [i.value for i in page.info]
    if name == "overview":
        labels = [m.label for m in page.metric]
        assert labels == ["Revenue", "Units", "Margin", "Repriced", "Fallbacks"]
        assert page.metric[4].value.endswith("of 6")
    if name == "models":
        assert "prod" in [s.value for s in page.subheader]
        assert len(page.dataframe) >= 4  # prod, challenger, models, snapshots
    if name == "decisions":
        assert "Guardrails:" in texts(page) and "Versions:" in texts(page)
    if name == "drift":  # the report's tab, opened, embeds the latest Evidently report
        assert not page.get("iframe")
        page.session_state["drift_tab"] = "Latest report"
        page.run()
        assert not page.exception and len(page.get("iframe")) == 1
        assert not page.get("plotly_chart")


def test_the_whatif_answers_a_moved_price(on_home, dashboard_home):
    on_home(*dashboard_home)
    page = run("whatif")
    before = page.metric[1].value
    field = page.number_input[0]
    field.set_value(round(field.value * 1.1, 2)).run()
    assert not page.exception
    assert page.metric[1].value != before
    assert page.metric[1].label.startswith("Expected revenue at")


def test_the_command_runs_the_installed_entry_script_headless():
    entry = entry_script()
    assert entry.name == "dashboard.py"
    assert all((entry.parent / f"{name}.py").is_file() for name in NAMES)
    # a `pages/` folder beside the entry would switch Streamlit to its automatic navigation
    assert not (entry.parent / "pages").exists()
    command = streamlit_command("127.0.0.1", 8765)
    assert command[1:4] == ["-m", "streamlit", "run"] and str(entry) in command
    flags = dict(zip(command[5::2], command[6::2], strict=True))
    assert flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"
    assert flags["--server.port"] == "8765"
