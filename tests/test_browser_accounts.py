"""Accounts in the browser: Playwright drives Debian's Chromium against `dms serve` (a real uvicorn server on
127.0.0.1). Each browser context is its own browser (its own cookies), all at the same address, as in an office
behind one router. Screenshots go to test-output/screenshots/accounts-*.png."""

from __future__ import annotations

import browsing
import pytest
from browsing import Server
from conftest import password_of

from dms import users
from dms.app import Dms
from dms.config import load_settings

PEOPLE = {"ada": "admin", "vera": "viewer", "cora": "coordinator", "otto": "viewer", "gus": "viewer"}
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dms serve` in its own process over an archive with a few users, on a free port."""
    home = tmp_path_factory.mktemp("accounts") / "home"
    with Dms(load_settings(environ={}, home=home)) as app:
        for name, role in PEOPLE.items():
            users.add(app.catalog, name, role, password_of(name), by="ada")
    served = Server(home, "--access-log", "-", env={"DMS_WORKERS": "1", "DMS_OCR": "0"})
    yield served.base
    served.stop()
    logged = served.log_text()
    for name in PEOPLE:  # the access log went to standard error all along, and no password got into it
        assert password_of(name) not in logged


@pytest.fixture
def new_browser(pages, server):
    """new_browser() -> a page in a fresh browser context (its own cookies: another browser on the same machine).
    Script errors and CSP violations fail the test; 4xx answers are what these tests provoke."""
    return pages.new


def sign_in(page, server: str, name: str, password: str | None = None, path: str = "/") -> None:
    browsing.sign_in(page, server, name, password, path)
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    browsing.shot(page, f"accounts-{name}", min_bytes=5_000)


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
