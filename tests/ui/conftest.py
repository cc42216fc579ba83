"""Browser tests of the web UI: the real service and simulator (``borderwatch demo``) on free ports, driven
by headless Debian Chromium through Playwright (never ``playwright install``: the system browser is used).

Missing pieces (Chromium, Playwright, the built UI) skip the tests on a developer's machine and FAIL them
under CI (env ``CI`` set), so a green CI run always means the browser really ran.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ground_station.demo import BORDERWATCH_COMMAND
from tests.conftest import REPO
from tests.ground_station.test_e2e_support import free_tcp_port, free_udp_base

ARTIFACTS = REPO / "artifacts"
AXE_JS = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
WEB_DIST = REPO / "web" / "dist" / "index.html"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_VEHICLES = 2


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    configured = os.environ.get("BORDERWATCH_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@dataclass
class Demo:
    base_url: str
    passwords: dict[str, str]
    log_path: Path
    data_dir: Path

    def inject_link_fault(self, slug: str, seconds: float) -> None:
        """A real link loss through the simulator's control API (its ready-json names the URL)."""
        ready = json.loads((self.data_dir / "sim" / "sim-ready.json").read_text())
        response = httpx.post(
            f"{ready['control_url']}/vehicles/{slug}/faults", json={"kind": "link", "seconds": seconds}
        )
        assert response.status_code == 200, response.text

    def token(self, user: str) -> str:
        response = httpx.post(
            f"{self.base_url}/api/auth/token", data={"username": user, "password": self.passwords[user]}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def get(self, user: str, path: str) -> Any:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        response = httpx.get(f"{self.base_url}{path}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        unavailable("no Chromium (apt-get install chromium, or set BORDERWATCH_CHROMIUM)")
    assert path is not None
    if not WEB_DIST.is_file():
        unavailable(f"the web UI is not built ({WEB_DIST} missing): run scripts/setup.sh")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Python package playwright missing (pip install -e '.[dev]')")
    return path


@contextmanager
def run_demo(
    work: Path,
    *,
    vehicles: int = DEMO_VEHICLES,
    env: dict[str, str] | None = None,
    extra: list[str] | None = None,
    speed: float = 3.0,
    cameras: bool = False,
) -> Iterator[Demo]:
    """``borderwatch demo`` on free ports in ``work``, stopped (SIGINT, then SIGKILL) on exit; without the
    simulated cameras unless asked (video costs CPU the other browser tests need)."""
    port = free_tcp_port()
    log_path = work / "demo.log"
    environment = {
        **os.environ,
        "BORDERWATCH_DATA": str(work / "no-dem-here"),
        "BORDERWATCH_DEM": "",
        **(env or {}),
    }
    command = [
        *BORDERWATCH_COMMAND, "demo",
        "--vehicles", str(vehicles), "--speed", str(speed),
        "--port", str(port), "--base-port", str(free_udp_base(vehicles)),
        *(["--camera-ports-ephemeral"] if cameras else ["--no-cameras"]),
        "--data-dir", str(work / "data"), *(extra or []),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C stops" not in log_path.read_text(errors="replace"):
            assert process.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        text = log_path.read_text(errors="replace")
        passwords = dict(re.findall(r"^\s+(demo-\w+)\s+\w+\s+(\S+)$", text, re.MULTILINE))
        yield Demo(f"http://127.0.0.1:{port}", passwords, log_path, work / "data")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a hung demo goes with its simulator child
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Demo]:
    """``borderwatch demo``: simulator child + service + patrolling drones, no DEM (flat world)."""
    with run_demo(tmp_path_factory.mktemp("ui-demo")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Pages in fresh contexts (own cookies and storage), closed after the test."""
    contexts: list[Any] = []

    def make(locale: str = "en-GB") -> Any:
        # bypass_csp lets Playwright evaluate its wait conditions; the page's own code runs as usual
        context = browser.new_context(viewport={"width": 1400, "height": 850}, locale=locale, bypass_csp=True)
        context.set_default_timeout(60_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"ui-{name}.png"
    page.screenshot(path=str(path))
    return path


def log_in(page: Any, demo: Demo, user: str) -> None:
    page.goto(demo.base_url + "/")
    page.locator("#username").fill(user)
    page.locator("#password").fill(demo.passwords[user])
    page.locator("#login-submit").click()
    page.locator("#app").wait_for(state="visible")
    wait_for_map(page)


def wait_for_map(page: Any) -> None:
    """Static layers added and the map rendered them (MapLibre's ``idle`` event has fired)."""
    page.locator("body[data-layers='ready'][data-map-idle]").wait_for(state="attached")
