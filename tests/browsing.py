"""What the browser tests share: a `dms serve` in its own process, one Chromium per test process driven by
Playwright, pages in fresh browser contexts whose console is watched, signing in through the form, screenshots.

The fixtures here (`browser`, `pages`, `console_allowed`) are a pytest plugin (tests/conftest.py lists it), so
every test_browser*.py module has them; each module keeps its own `server` fixture over its own data directory.
Playwright is imported when a browser is first needed: a missing browser stack fails those tests, never skips."""

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
from conftest import REPO, password_of

SHOTS = REPO / "test-output" / "screenshots"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`dms serve` over `home` in its own process on a free port, answering /health (else AssertionError with its
    log). `base` is its URL; stop() ends it; log_text() is what it wrote (the log sits beside the home)."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None):
        self.home, self.log_path = home, home.parent / "server.log"
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed by stop)
        self._proc = subprocess.Popen([sys.executable, "-m", "dms", "serve", "--port", str(port), *args],
                                      stdout=self._log, stderr=subprocess.STDOUT,
                                      env={**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "2", **(env or {})})
        deadline = time.monotonic() + 120  # a loaded machine (both cores busy with other tests) is slow
        while True:
            try:
                urllib.request.urlopen(self.base + "/health", timeout=2).read()
                return
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("dms serve did not start:\n" + self.log_text()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=20)
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text()


def four_xx(console_text: str) -> bool:
    """A 4xx answer is what some tests provoke on purpose; a 5xx, a script error or a CSP violation never is."""
    return "the server responded with a status of 4" in console_text


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (or DMS_CHROMIUM), launched once per test process and shared by its browser modules;
    every test gets fresh contexts from `pages`, so no cookie or storage crosses from one test to the next."""
    from playwright.sync_api import sync_playwright  # a missing browser stack fails, never skips

    executable = os.environ.get("DMS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.fail("Chromium is not installed: scripts/test installs Debian's chromium package (apt-get install "
                    "chromium), or set DMS_CHROMIUM to a Chromium binary")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_allowed():
    """Which console errors a test may provoke (a module overrides this fixture to allow fewer)."""
    return four_xx


class Pages:
    """Pages in fresh browser contexts (each its own cookies: another browser on the same machine). Every console
    error that `allowed` does not excuse, and every script error, is kept in `problems`."""

    def __init__(self, browser, allowed):
        self._browser, self._allowed = browser, allowed
        self.contexts: list = []
        self.problems: list[str] = []

    def new(self, viewport: dict | None = None, **options):
        context = self._browser.new_context(viewport=viewport or DESKTOP, **options)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: self.problems.append(m.text)
                if m.type == "error" and not self._allowed(m.text) else None)
        page.on("pageerror", lambda e: self.problems.append(str(e)))
        return page

    def signed_in(self, base: str, name: str, viewport: dict | None = None, **options):
        """A new page signed in as `name` through the sign-in form, on the start page."""
        page = self.new(viewport, **options)
        sign_in(page, base, name)
        page.wait_for_url(base + "/")
        return page


def sign_in(page, base: str, name: str, password: str | None = None, path: str = "/") -> None:
    """Open `path` (signed out: the sign-in form takes its place) and sign in through the form."""
    page.goto(base + path)
    assert "/sign-in" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password or password_of(name))
    page.click("button[type=submit]")


@pytest.fixture
def pages(browser, console_allowed):
    """A Pages for this test; its contexts are closed after it, and any console problem then fails it."""
    opened = Pages(browser, console_allowed)
    yield opened
    for context in opened.contexts:
        context.close()
    assert not opened.problems, opened.problems


def shot(page, name: str, min_bytes: int = 10_000) -> Path:
    """Save a full-page screenshot to test-output/screenshots/NAME.png and check it is not blank (a flat page
    compresses to almost nothing)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > min_bytes, f"{path} looks blank"
    return path
