"""A real browser: start `streamlit run app.py`, open it in headless Chromium, look at what a user sees."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="No Chromium binary on this machine (install the Debian package 'chromium'; CI does).",
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    port = _free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.perf_counter() - started > 90:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"streamlit did not start:\n{out[-3000:]}")
            time.sleep(0.3)
        yield url, started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _wait_for_app(page) -> None:
    """Until Streamlit has finished running the script (no 'Running...' status)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


_CHART = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'


def _open(browser, url: str, heading: str, *, height: int = 1000, chart_timeout: int = 60_000):
    """A new tab on ``url``, once its heading and first chart are drawn and the script has finished."""
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(f"h1:has-text('{heading}')", timeout=60_000)
    page.wait_for_selector(_CHART, timeout=chart_timeout)
    _wait_for_app(page)
    return page


def test_overview_renders_chart_without_errors(app_url, browser, tmp_path):
    url, launched = app_url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("h1:has-text('Overview')", timeout=60_000)
    # Vega-Lite draws the chart into a canvas (or svg) inside the chart element
    page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                           timeout=60_000)
    _wait_for_app(page)
    elapsed, since_launch = time.perf_counter() - t0, time.perf_counter() - launched
    assert page.title() == "UEC Demand & Capacity Workbench"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stMetric"]').count() >= 3
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    print(f"Overview rendered {elapsed:.1f} s after opening the page, {since_launch:.1f} s after "
          f"`streamlit run`; screenshot {shot}")


def test_data_page_renders_history_and_download(app_url, browser, tmp_path):
    page = _open(browser, f"{app_url[0]}/data", "Data")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Download the cleaned table (CSV)").count() == 1
    page.screenshot(path=str(tmp_path / "data.png"), full_page=True)


def test_forecast_page_draws_the_fan_chart(app_url, browser, tmp_path):
    page = _open(browser, f"{app_url[0]}/forecast", "Forecast", chart_timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Model used:").count() >= 1
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 3  # fan + patterns
    page.screenshot(path=str(tmp_path / "forecast.png"), full_page=True)


def test_beds_then_scenario_saved_and_compared_in_the_browser(app_url, browser, tmp_path):
    """A user opens Beds, then builds an SDEC scenario and sees it compared with the baseline."""
    page = _open(browser, f"{app_url[0]}/beds", "Beds", height=1400, chart_timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Occupied beds, average night").count() == 1
    page.screenshot(path=str(tmp_path / "beds.png"), full_page=True)
    # same session: the sidebar link keeps the session (and its saved scenarios)
    page.get_by_role("link", name="Scenarios").click()
    page.wait_for_selector("h1:has-text('Scenarios')", timeout=60_000)
    _wait_for_app(page)
    page.get_by_label("Name").fill("SDEC 10 %")
    page.get_by_label("Admissions avoided, e.g. by SDEC (%)").fill("10")
    page.get_by_role("button", name="Save scenario").click()
    page.wait_for_selector("text=Saved 'SDEC 10 %'", timeout=60_000)
    _wait_for_app(page)
    page.wait_for_selector(_CHART, timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.screenshot(path=str(tmp_path / "scenarios.png"), full_page=True)
    # the comparison's trace boxes name both scenarios and the change (tables are drawn on a canvas)
    assert page.get_by_text("Scenario: Baseline").count() >= 1
    assert page.get_by_text("Admissions avoided (e.g. same-day emergency care): 10 %").count() >= 1
    assert page.locator('[data-testid="stMultiSelect"]').get_by_text("SDEC 10 %").count() == 1
    if os.environ.get("SHOTS_DIR"):
        page.screenshot(path=os.path.join(os.environ["SHOTS_DIR"], "scenarios.png"), full_page=True)


@pytest.mark.parametrize("path, heading, charts", [("spc", "SPC", 1), ("peers", "Peers", 5)])
def test_spc_and_peers_pages_render_their_charts(app_url, browser, tmp_path, path, heading, charts):
    page = _open(browser, f"{app_url[0]}/{path}", heading, height=1400, chart_timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= charts
    page.screenshot(path=str(tmp_path / f"{path}.png"), full_page=True)
