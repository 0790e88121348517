"""Accounts in the browser: Playwright drives Debian's Chromium against `dms serve` (a real uvicorn server on
127.0.0.1). Each browser context is its own browser (its own cookies), all at the same address, as in an office
behind one router. Screenshots go to test-output/screenshots/accounts-*.png."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import REPO, password_of
from playwright.sync_api import sync_playwright  # a missing browser stack fails, never skips

from dms import users
from dms.app import Dms
from dms.config import load_settings

SHOTS = REPO / "test-output" / "screenshots"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PEOPLE = {"ada": "admin", "vera": "viewer", "cora": "coordinator", "otto": "viewer", "gus": "viewer"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dms serve` in its own process over an archive with a few users, on a free port."""
    home = tmp_path_factory.mktemp("accounts") / "home"
    with Dms(load_settings(environ={}, home=home)) as app:
        for name, role in PEOPLE.items():
            users.add(app.catalog, name, role, password_of(name), by="ada")
    port = _free_port()
    log = open(home.parent / "server.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([sys.executable, "-m", "dms", "serve", "--port", str(port), "--access-log", "-"],
                            stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1", "DMS_OCR": "0"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise AssertionError("dms serve did not start:\n" + (home.parent / "server.log").read_text()) from None
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
    served = (home.parent / "server.log").read_text()
    for name in PEOPLE:  # the access log went to standard error all along, and no password got into it
        assert password_of(name) not in served


@pytest.fixture(scope="module")
def browser():
    executable = os.environ.get("DMS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.fail("Chromium is not installed: scripts/test installs Debian's chromium package (apt-get install "
                    "chromium), or set DMS_CHROMIUM to a Chromium binary")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_browser(browser, server):
    """new_browser() -> a page in a fresh browser context (its own cookies: another browser on the same machine).
    Script errors and CSP violations fail the test; 4xx answers are what these tests provoke."""
    contexts, problems = [], []

    def open_one():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                and "the server responded with a status of 4" not in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield open_one
    for context in contexts:
        context.close()
    assert not problems, problems


def sign_in(page, server: str, name: str, password: str | None = None, path: str = "/") -> None:
    page.goto(server + path)
    assert "/sign-in" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password or password_of(name))
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"accounts-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000, f"{path} looks blank"


def test_changing_my_password_signs_out_my_other_browser(new_browser, server):
    desk, laptop = new_browser(), new_browser()
    sign_in(desk, server, "vera")
    sign_in(laptop, server, "vera")
    assert desk.url == server + "/" and laptop.url == server + "/"
    desk.goto(server + "/account")
    desk.fill("#password-form input[name=current]", password_of("vera"))
    desk.fill("#password-form input[name=new]", "vera picks her own words")
    desk.fill("#password-form input[name=repeat]", "vera picks her own words")
    shot(desk, "password")
    desk.click("#password-form button[type=submit]")
    desk.wait_for_url(server + "/account?password=changed")
    assert "Your password is changed" in desk.inner_text("main")
    laptop.reload()
    assert "/sign-in" in laptop.url  # the laptop's session ended
    sign_in(laptop, server, "vera")
    assert "wrong user name or password" in laptop.inner_text(".error")
    sign_in(laptop, server, "vera", "vera picks her own words")
    assert laptop.url == server + "/"


def test_an_admin_reset_forces_a_new_password_at_the_next_sign_in(new_browser, server):
    cora, admin = new_browser(), new_browser()
    sign_in(cora, server, "cora")
    sign_in(admin, server, "ada")
    admin.goto(server + "/users")
    admin.click("#user-cora button:has-text('Temporary password')")
    admin.wait_for_selector("#temporary-password")
    temporary = admin.inner_text("#temporary-password pre").strip()
    shot(admin, "temporary-password")
    assert len(temporary) == 23

    cora.reload()
    assert "/sign-in" in cora.url  # the reset ended her session
    sign_in(cora, server, "cora", temporary, path="/changes")
    cora.wait_for_url(server + "/account/password?next=%2Fchanges")
    assert "Set your own password" in cora.inner_text("h1")
    shot(cora, "must-change")
    for path in ("/", "/changes", "/account", "/search?q=lid"):  # every page leads back to the form
        cora.goto(server + path)
        assert "/account/password" in cora.url, path
    cora.goto(server + "/account/password?next=%2Fchanges")
    cora.fill("#password-form input[name=current]", temporary)
    cora.fill("#password-form input[name=new]", "cora's own password")
    cora.fill("#password-form input[name=repeat]", "cora's own password")
    cora.click("#password-form button[type=submit]")
    cora.wait_for_url(server + "/changes")
    cora.goto(server + "/account")
    assert "Set your own password" not in cora.inner_text("main")


def test_a_lockout_spares_the_right_password_from_a_known_browser_and_an_admin_unlocks_it(new_browser, server):
    own = new_browser()
    sign_in(own, server, "otto")  # otto's own browser is known for otto from now on
    assert own.url == server + "/"
    own.click("button:has-text('Sign out')")
    own.wait_for_url("**/sign-in")

    attacker = new_browser()
    for n in range(5):
        sign_in(attacker, server, "otto", f"guess-number-{n}")
        assert "wrong user name or password" in attacker.inner_text(".error")
    sign_in(attacker, server, "otto")
    assert "too many failed sign-ins" in attacker.inner_text(".error")  # even the right one, there
    shot(attacker, "locked")

    elsewhere = new_browser()  # a browser where otto never signed in
    sign_in(elsewhere, server, "otto")
    assert "too many failed sign-ins" in elsewhere.inner_text(".error")
    colleague = new_browser()  # the office next door, same address
    sign_in(colleague, server, "gus")
    assert colleague.url == server + "/"
    sign_in(own, server, "otto")  # the right password from otto's own browser
    assert own.url == server + "/"

    admin = new_browser()
    sign_in(admin, server, "ada")
    admin.goto(server + "/users")
    assert "sign-in locked" in admin.inner_text("#user-otto")
    shot(admin, "users-locked")
    admin.click("#user-otto button:has-text('Unlock')")
    admin.wait_for_selector("#unlocked")
    assert "otto: 5 failed sign-in(s) cleared" in admin.inner_text("#unlocked")
    assert "sign-in locked" not in admin.inner_text("#user-otto")
    sign_in(elsewhere, server, "otto")
    assert elsewhere.url == server + "/"


def test_an_admin_disables_and_enables_a_user(new_browser, server):
    admin, gus = new_browser(), new_browser()
    sign_in(admin, server, "ada")
    admin.goto(server + "/users")
    admin.click("#user-gus button:has-text('Disable')")
    admin.wait_for_selector("#user-gus button:has-text('Enable')")
    sign_in(gus, server, "gus")
    assert "wrong user name or password, or the user is disabled" in gus.inner_text(".error")
    admin.click("#user-gus button:has-text('Enable')")
    admin.wait_for_selector("#user-gus button:has-text('Disable')")
    sign_in(gus, server, "gus")
    assert gus.url == server + "/"
