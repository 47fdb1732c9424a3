"""`pricing dashboard` in a real browser: Debian's headless Chromium driven by Playwright.

The dashboard runs as an operator starts it, on a free port, over the trained home with
served decisions and a drift-monitor run. Every page is opened (which warms the caches),
then visited again through the menu, as a user moves around: no Streamlit exception, every
chart drawn, a screenshot of each saved (under ``PRICING_TEST_ARTIFACTS`` when set, else the
test's tmp folder; the folder is printed), and each page drawn within :data:`BUDGET_S`. The
what-if must answer a moved price with new figures.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from pricing.processes import free_port, start, stop_process
from pricing_app.pages import PAGES
from tests.integration.app.dashboard_home import operator_env, prepare
from tests.integration.conftest import trained_home  # noqa: F401  (the shared fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: Seconds a page may take to draw once the dashboard's caches are warm.
BUDGET_S = 2.0
#: Plotly charts each page draws on the trained home, with decisions and a monitor run.
CHARTS = {"overview": 2, "trends": 1, "inventory": 1, "forecast": 1, "whatif": 1, "drift": 3}
EXCEPTION = '[data-testid="stException"]'
CHART = ".js-plotly-plot"
#: Pages with a second state worth a screenshot: a tab opened, a price moved.
SECOND_SHOT = {
    "trends": "trends_category.png",
    "drift": "drift_report.png",
    "whatif": "whatif_moved.png",
}
#: The app once its script has run to the end.
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@contextmanager
def running_dashboard(env: dict[str, str], log: Path) -> Iterator[str]:
    """``pricing dashboard --port P`` as a process; its URL once Streamlit answers."""
    port = free_port()
    with open(log, "wb") as out:
        process = start(
            [sys.executable, "-m", "pricing.cli.main", "dashboard", "--port", str(port)], env, out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"pricing dashboard exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"no dashboard at {url}:\n{log.read_text()}"
            time.sleep(0.5)
        assert url in log.read_text(), "the command prints the dashboard's URL"
        yield url
    finally:
        stop_process(process)


def chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (Playwright drives it)")
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def drawn(page: Page, title: str, charts: int, timeout_ms: float = 120_000) -> None:
    """Wait until the page titled ``title`` has run to the end with ``charts`` charts drawn
    and nothing left over from the page before."""
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=timeout_ms)
    page.wait_for_function(
        "n => [...document.querySelectorAll('.js-plotly-plot')]"
        ".filter(chart => chart.querySelector('.main-svg')).length >= n",
        arg=charts,
        timeout=timeout_ms,
    )
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_selector('[data-stale="true"]', state="detached", timeout=timeout_ms)


def open_page(page: Page, url: str, title: str, charts: int) -> float:
    """A fresh load of ``url`` (a new session: the browser fetches the app again); seconds."""
    began = time.monotonic()
    page.goto(url)
    drawn(page, title, charts)
    return time.monotonic() - began


def switch_page(page: Page, title: str, charts: int) -> float:
    """A click on the page's menu entry, as a user moves around the open app; seconds."""
    began = time.monotonic()
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).first.click()
    drawn(page, title, charts)
    return time.monotonic() - began


def metric(page: Page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return str(box.locator('[data-testid="stMetricValue"]').inner_text())


def move_price(page: Page) -> tuple[str, str]:
    """Raise the what-if price by 10%; the expected revenue before and after."""
    before = metric(page, "Expected revenue")
    field = page.locator('[data-testid="stNumberInput"] input').first
    price = float(field.input_value())
    field.fill(f"{price * 1.1:.2f}")
    field.press("Enter")
    page.wait_for_function(
        "([label, old]) => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".some(m => m.innerText.includes(label) && !m.innerText.includes(old))",
        arg=["Expected revenue", before],
        timeout=30_000,
    )
    page.wait_for_selector(IDLE, timeout=30_000)
    return before, metric(page, "Expected revenue")


def browse(url: str, shots: Path, charts: dict[str, int]) -> dict[str, float]:
    """Open every page (which warms the dashboard's caches), then move through them by the
    menu: the seconds each took to draw then. On each: no exception, every chart drawn, a
    screenshot; then the category trends and the report's tab open, and on the what-if a
    moved price changes the answer (a second screenshot each)."""
    from playwright.sync_api import sync_playwright

    shots.mkdir(parents=True, exist_ok=True)
    timings = {}
    with sync_playwright() as playwright:
        browser = chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        try:
            for i, (name, title, _) in enumerate(PAGES):  # the first is the app's root
                open_page(page, f"{url}/{name if i else ''}", title, charts.get(name, 0))
            for name, title, _ in PAGES:
                timings[name] = switch_page(page, title, charts.get(name, 0))
                assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).inner_text()
                assert page.locator(CHART).count() == charts.get(name, 0), name
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                if name == "trends":  # the other tab draws when opened
                    page.get_by_role("tab", name="Per category").click()
                    page.wait_for_selector('.js-plotly-plot .gtitle:has-text("Mean shelf price")')
                    drawn(page, title, 1)
                if name == "drift":  # the latest Evidently report, in its own tab
                    page.get_by_role("tab", name="Latest report").click()
                    page.wait_for_selector("iframe", timeout=60_000)
                    page.wait_for_selector(IDLE, timeout=60_000)
                if name == "whatif":
                    before, after = move_price(page)
                    assert after != before
                    drawn(page, title, charts[name])
                if name in SECOND_SHOT:
                    assert page.locator(EXCEPTION).count() == 0
                    page.screenshot(path=str(shots / SECOND_SHOT[name]), full_page=True)
        finally:
            browser.close()
    return timings


#: Read at import: the test fixtures clear every PRICING_* variable before a test runs.
ARTIFACTS = os.environ.get("PRICING_TEST_ARTIFACTS")


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(ARTIFACTS) / "dashboard" if ARTIFACTS else tmp_path / "screenshots"
    print(f"dashboard screenshots: {folder}")
    return folder


def test_every_page_renders_in_chromium(trained_home, artifacts, tmp_path):  # noqa: F811
    prepare(*trained_home)
    with running_dashboard(operator_env(*trained_home), tmp_path / "dashboard.log") as url:
        timings = browse(url, artifacts, CHARTS)
    print("seconds per page after the first load:", timings)
    slow = {name: s for name, s in timings.items() if s > BUDGET_S}
    assert not slow, f"pages over {BUDGET_S}s: {slow}"
    expected = [f"{name}.png" for name, *_ in PAGES] + list(SECOND_SHOT.values())
    assert sorted(p.name for p in artifacts.glob("*.png")) == sorted(expected)
