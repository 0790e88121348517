"""Accounts: changing one's password, temporary passwords from an admin, enabling a user, sign-in limits per
account and per client that never lock a right password out from a browser the user signed in from, unlocking,
and the access log of `dms serve`.

Real catalogs, SQLite and PostgreSQL (`both_catalogs`: every test using `home` runs on each); the web through
FastAPI's TestClient (each client its own address and cookie jar, like a browser) and, for parallel guessing and
the access log, a real `dms serve` process hit from many threads.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time

import httpx2 as httpx
import pytest
from conftest import password_of, run_dms, run_json
from fastapi.testclient import TestClient

from dms import auth, users
from dms.app import Dms
from dms.config import load_settings
from dms.errors import PermissionDenied, UsageError

pytestmark = pytest.mark.both_catalogs

PEOPLE = {"ada": "admin", "cora": "coordinator", "vera": "viewer", "gus": "viewer"}


def load(home, **environ):
    """Settings of the archive at `home` with these variables, on the test's catalog (DMS_DATABASE_URL is set by
    the `database_url` fixture on PostgreSQL runs, and removed on SQLite ones)."""
    url = os.environ.get("DMS_DATABASE_URL")
    return load_settings(environ={**environ, **({"DMS_DATABASE_URL": url} if url else {})}, home=home)


def _home(tmp_path, people=PEOPLE):
    home = tmp_path / "home"
    with Dms(load(home)) as app:
        for name, role in people.items():
            users.add(app.catalog, name, role, password_of(name), by="ada")
    return home


@pytest.fixture
def home(tmp_path, database_url):
    return _home(tmp_path)


@pytest.fixture
def settings(home):
    return load(home, DMS_WORKERS="1", DMS_OCR="0", DMS_SIGN_IN_ATTEMPTS="5", DMS_SIGN_IN_ATTEMPTS_PER_ADDRESS="12")


@pytest.fixture
def web(settings):
    from dms.web import create_app

    app = create_app(settings)
    yield app
    app.state.web.close()  # the archives its threads opened (TestClient without `with` runs no lifespan)


@pytest.fixture
def browser(web):
    """browser("10.0.0.1") -> a TestClient that behaves like a browser there: it loads the form first (which hands
    out its `dms_client` cookie) and keeps its cookies."""
    opened = []

    def make(address: str) -> TestClient:
        client = TestClient(web, follow_redirects=False, client=(address, 50000))
        opened.append(client)
        assert client.get("/sign-in").status_code == 200
        assert client.cookies.get("dms_client")
        return client

    yield make
    for client in opened:
        client.close()


def sign_in(client, name: str, password: str | None = None, next: str = "/"):
    return client.post("/sign-in", data={"name": name, "password": password or password_of(name), "next": next})


def csrf(client, page: str = "/account") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)


def audit_actions(settings, action: str) -> list[tuple]:
    with Dms(settings) as app:
        return app.catalog.conn.execute('SELECT "user", subject, details FROM audit_log WHERE action = ? ORDER BY id',
                                        (action,)).fetchall()


# -- my password --------------------------------------------------------------------------------------------


def test_changing_my_password_needs_the_current_one_and_ends_my_other_sessions(settings, browser):
    desk, laptop = browser("10.0.0.1"), browser("10.0.0.2")
    assert sign_in(desk, "vera").status_code == 303 and sign_in(laptop, "vera").status_code == 303
    wrong = desk.post("/account/password", data={"csrf": csrf(desk), "current": "not-my-password",
                                                 "new": "a brand new passphrase", "repeat": "a brand new passphrase"})
    assert wrong.status_code == 403 and "the current password is wrong" in wrong.text
    differ = desk.post("/account/password", data={"csrf": csrf(desk), "current": password_of("vera"),
                                                  "new": "a brand new passphrase", "repeat": "a brand new passphrasE"})
    assert differ.status_code == 400 and "differ" in differ.text
    short = desk.post("/account/password", data={"csrf": csrf(desk), "current": password_of("vera"),
                                                 "new": "short", "repeat": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    done = desk.post("/account/password", data={"csrf": csrf(desk), "current": password_of("vera"),
                                                "new": "a brand new passphrase", "repeat": "a brand new passphrase"})
    assert done.status_code == 303 and done.headers["location"] == "/account?password=changed"
    assert "Your password is changed" in desk.get("/account?password=changed").text  # this session goes on
    assert laptop.get("/").status_code == 303  # the other one ended
    elsewhere = browser("10.0.0.3")
    assert sign_in(elsewhere, "vera").status_code == 401
    assert sign_in(elsewhere, "vera", "a brand new passphrase").status_code == 303
    (entry,) = audit_actions(settings, users.PASSWORD_CHANGED)
    assert entry[0] == "vera" and '"other sessions ended":1' in entry[2]
    assert "a brand new passphrase" not in str(audit_actions(settings, auth.PASSWORD_CHANGE_FAILED))


def test_the_password_form_needs_its_csrf_token(browser):
    desk = browser("10.0.0.1")
    sign_in(desk, "vera")
    forged = desk.post("/account/password", data={"current": password_of("vera"), "new": "an attacker's choice",
                                                  "repeat": "an attacker's choice"})
    assert forged.status_code == 403
    assert sign_in(browser("10.0.0.2"), "vera").status_code == 303  # unchanged


def test_guessing_the_current_password_with_a_stolen_session_is_limited_like_a_sign_in(browser):
    thief = browser("10.0.0.66")
    sign_in(thief, "vera")
    for n in range(5):
        response = thief.post("/account/password", data={"csrf": csrf(thief), "current": f"guess-{n}-guess",
                                                         "new": "taken over now!", "repeat": "taken over now!"})
        assert response.status_code == 403
    right = thief.post("/account/password", data={"csrf": csrf(thief), "current": password_of("vera"),
                                                  "new": "taken over now!", "repeat": "taken over now!"})
    assert right.status_code == 429 and "too many failed sign-ins" in right.text


def test_passwd_on_the_command_line(home):
    run_dms(home, "user", "passwd", "--as", "gus", "--password-stdin",
            input_text=f"{password_of('gus')}\nthe new gus password\n")
    wrong = run_dms(home, "user", "passwd", "--as", "gus", "--password-stdin", check=False,
                    input_text="not it at all\nanother new password\n")
    assert wrong.returncode == 6 and "the current password is wrong" in wrong.stderr
    with Dms(load(home)) as app:
        assert users.check_password(app.catalog, "gus", "the new gus password")
        with pytest.raises(UsageError, match="differ from the current"):
            users.change_password(app.catalog, "gus", "the new gus password", "the new gus password")


# -- temporary passwords -------------------------------------------------------------------------------------


def test_an_admin_reset_ends_the_users_sessions_and_forces_a_change_at_the_next_sign_in(settings, browser):
    cora = browser("10.0.1.1")
    assert sign_in(cora, "cora").status_code == 303
    admin = browser("10.0.1.2")
    sign_in(admin, "ada")
    page = admin.post("/users/cora/password", data={"csrf": csrf(admin)})
    assert page.status_code == 200
    temporary = re.search(r'<pre class="secret">([^<]+)</pre>', page.text).group(1)
    assert re.fullmatch(r"[a-z2-9]{5}(-[a-z2-9]{5}){3}", temporary)
    assert cora.get("/").status_code == 303  # her session ended
    assert sign_in(cora, "cora").status_code == 401  # the old password is gone

    answer = sign_in(cora, "cora", temporary, next="/changes")
    assert answer.status_code == 303 and answer.headers["location"] == "/account/password?next=%2Fchanges"
    # every page leads to the form, by way of the sign-in page; the API and forms refuse
    for path in ("/", "/changes", "/account", "/users", "/search?q=x"):
        first = cora.get(path)
        assert first.status_code == 303 and first.headers["location"].startswith("/sign-in?next="), path
        second = cora.get(first.headers["location"])
        assert second.status_code == 303 and second.headers["location"].startswith("/account/password"), path
    assert cora.get("/api/v1/me").status_code == 401
    form = cora.get("/account/password?next=%2Fchanges")
    assert form.status_code == 200 and "Set your own password" in form.text
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert cora.post("/account/email", data={"csrf": token, "email": "x@y.example"}).status_code == 401
    changed = cora.post("/account/password", data={"csrf": token, "current": temporary, "next": "/changes",
                                                   "new": "cora's very own", "repeat": "cora's very own"})
    assert changed.status_code == 303 and changed.headers["location"] == "/changes"
    assert cora.get("/changes").status_code == 200
    assert cora.get("/api/v1/me", headers={"X-CSRF-Token": token}).json()["name"] == "cora"
    (entry,) = audit_actions(settings, users.PASSWORD_RESET)
    assert entry[0] == "ada" and entry[1] == "user:cora" and temporary not in entry[2]


def test_a_temporary_password_expires(home):
    settings = load(home, DMS_TEMPORARY_PASSWORD_HOURS=str(5 / 3600))
    with Dms(settings) as app:
        _, temporary, _ = users.reset_password(app.catalog, "gus", "ada", settings.temporary_password_hours)
        assert users.check_password(app.catalog, "gus", temporary)
        time.sleep(6.1)
        assert users.verify(app.catalog, "gus", temporary) == "expired"
        with pytest.raises(PermissionDenied, match="temporary password has expired"):
            users.change_password(app.catalog, "gus", temporary, "too late for this")


def test_reset_password_on_the_command_line_prints_or_reads_the_temporary_password(home):
    made = run_json(home, "user", "reset-password", "gus", "--as", "ada")
    assert re.fullmatch(r"[a-z2-9]{5}(-[a-z2-9]{5}){3}", made["temporary_password"]) and made["valid_until"]
    run_dms(home, "user", "reset-password", "gus", "--as", "ada", "--password-stdin",
            input_text="handed over by phone\n")
    not_admin = run_dms(home, "user", "reset-password", "ada", "--as", "cora", check=False)
    assert not_admin.returncode == 6 and "needs a admin" in not_admin.stderr
    listing = run_dms(home, "user", "list").stdout
    assert re.search(r"gus .*temporary password", listing)
    with Dms(load(home)) as app:
        assert users.get(app.catalog, "gus").must_change
        assert not users.check_password(app.catalog, "gus", made["temporary_password"])
        assert users.check_password(app.catalog, "gus", "handed over by phone")


# -- enable ----------------------------------------------------------------------------------------------------


def test_an_enabled_user_signs_in_again_but_their_old_sessions_stay_ended(settings, browser, home):
    gus = browser("10.0.2.1")
    sign_in(gus, "gus")
    with Dms(settings) as app:
        users.disable(app.catalog, "gus", by="ada")
    assert sign_in(browser("10.0.2.2"), "gus").status_code == 401
    enabled = run_dms(home, "user", "enable", "gus", "--as", "ada")
    assert "gus is enabled" in enabled.stdout
    assert gus.get("/").status_code == 303  # the session from before the disable does not come back
    assert sign_in(browser("10.0.2.3"), "gus").status_code == 303
    again = run_dms(home, "user", "enable", "gus", "--as", "ada", check=False)
    assert again.returncode == 2 and "is not disabled" in again.stderr
    denied = run_dms(home, "user", "enable", "gus", "--as", "vera", check=False)
    assert denied.returncode == 6
    assert [row[1] for row in audit_actions(settings, users.ENABLED)] == ["user:gus"]


def test_an_admin_enables_a_user_on_the_users_page(settings, browser):
    with Dms(settings) as app:
        users.disable(app.catalog, "gus", by="ada")
    admin = browser("10.0.2.9")
    sign_in(admin, "ada")
    assert "/users/gus/enable" in admin.get("/users").text
    assert admin.post("/users/gus/enable", data={"csrf": csrf(admin)}).status_code == 303
    assert sign_in(browser("10.0.2.10"), "gus").status_code == 303


# -- sign-in limits --------------------------------------------------------------------------------------------


def test_typos_in_one_browser_lock_neither_the_office_nor_the_users_own_other_browsers(browser):
    """Everyone at one address (an office behind NAT): five typos of vera's lock vera out of unknown browsers
    and that one browser, not cora next door, not ada's admin password, and not vera's own known laptop."""
    laptop = browser("192.0.2.10")
    assert sign_in(laptop, "vera").status_code == 303  # her laptop is known for vera from now on
    laptop.post("/sign-out", data={"csrf": csrf(laptop)})
    typist = browser("192.0.2.10")
    for n in range(5):
        assert sign_in(typist, "vera", f"typo-{n}-typo").status_code == 401
    refused = sign_in(typist, "vera")
    assert refused.status_code == 429 and "too many failed sign-ins; try again in" in refused.text
    assert sign_in(browser("192.0.2.10"), "cora").status_code == 303
    assert sign_in(browser("192.0.2.10"), "ada").status_code == 303
    assert sign_in(laptop, "vera").status_code == 303  # right password from a known browser: never locked out
    stranger = sign_in(browser("198.51.100.1"), "vera")
    assert stranger.status_code == 429 and "a browser where it did can still sign in" in stranger.text


def test_guessing_one_account_from_many_places_spares_its_known_browsers(browser, settings):
    ada = browser("192.0.2.20")
    assert sign_in(ada, "ada").status_code == 303
    old_cookie = ada.cookies.get("dms_client")
    for n in range(8):  # a botnet: every guess from another address and a fresh browser
        response = sign_in(browser(f"203.0.113.{n}"), "ada", f"guess-{n}-guess")
        assert response.status_code == (401 if n < 5 else 429), n
    assert sign_in(browser("203.0.113.99"), "ada").status_code == 429  # right password, unknown browser
    ada.post("/sign-out", data={"csrf": csrf(ada)})
    assert sign_in(ada, "ada").status_code == 303  # her own browser signs in
    assert ada.cookies.get("dms_client") != old_cookie  # and gets a new cookie value each time


def test_a_known_browser_that_keeps_failing_is_locked_for_itself(browser):
    ada = browser("192.0.2.30")
    sign_in(ada, "ada")
    ada.post("/sign-out", data={"csrf": csrf(ada)})
    for n in range(5):
        assert sign_in(ada, "ada", f"wrong-{n}-wrong").status_code == 401
    assert sign_in(ada, "ada").status_code == 429
    assert sign_in(browser("192.0.2.31"), "ada").status_code == 303  # the account itself is not locked


def test_a_cookie_planted_before_sign_in_is_worth_nothing_afterwards(web, browser):
    victim = browser("192.0.2.40")
    planted = victim.cookies.get("dms_client")  # say an attacker knew or set this value
    assert sign_in(victim, "vera").status_code == 303
    assert victim.cookies.get("dms_client") != planted
    for n in range(6):
        browser(f"203.0.113.{50 + n}")  # and vera is under attack, locked for unknown browsers
        sign_in(browser(f"203.0.113.{50 + n}"), "vera", f"guess-{n}-guess")
    attacker = TestClient(web, follow_redirects=False, client=("203.0.113.60", 50000), cookies={"dms_client": planted})
    assert sign_in(attacker, "vera").status_code == 429  # the planted value is not a known browser


def test_one_address_has_an_outer_bound_for_guessers_who_drop_their_cookies(browser):
    known = browser("192.0.2.50")
    sign_in(known, "cora")
    known.post("/sign-out", data={"csrf": csrf(known)})
    codes = [sign_in(browser("192.0.2.50"), f"name{n}", "spray-spray").status_code for n in range(14)]
    assert codes == [401] * 12 + [429] * 2  # DMS_SIGN_IN_ATTEMPTS_PER_ADDRESS=12
    assert sign_in(browser("192.0.2.50"), "gus").status_code == 429  # a new browser there waits
    assert sign_in(known, "cora").status_code == 303  # a known one does not


def test_callers_without_any_cookie_share_one_small_limit_per_address(web):
    plain = [TestClient(web, follow_redirects=False, client=("192.0.2.60", 50000), cookies=None) for _ in range(7)]
    codes = []
    for n, client in enumerate(plain):
        codes.append(client.post("/sign-in", data={"name": f"bot{n}", "password": "x-x-x-x-x-x"}).status_code)
    assert codes == [401] * 5 + [429] * 2


def test_forty_parallel_guesses_from_fresh_browsers_get_at_most_the_limit_and_a_known_browser_still_signs_in(home):
    server = Serve(home, {"DMS_SIGN_IN_ATTEMPTS": "5", "DMS_SIGN_IN_ATTEMPTS_PER_ADDRESS": "100"})
    try:
        with server.client() as ada:
            ada.get("/sign-in")
            assert server.sign_in(ada, "ada", password_of("ada")).status_code == 303
            ada.post("/sign-out", data={"csrf": csrf(ada)})
            start = threading.Barrier(40)
            results: list[int] = []

            def guess(i: int) -> None:
                with server.client() as client:
                    client.get("/sign-in")  # a fresh browser with its own cookie
                    start.wait()
                    results.append(server.sign_in(client, "ada", f"guess-{i}-guess").status_code)

            threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert len(results) == 40 and set(results) <= {401, 429}, results
            assert results.count(401) <= 5, f"{results.count(401)} guesses were checked past a limit of 5"
            with server.client() as fresh:
                fresh.get("/sign-in")
                assert server.sign_in(fresh, "ada", password_of("ada")).status_code == 429
            assert server.sign_in(ada, "ada", password_of("ada")).status_code == 303
    finally:
        server.stop()


# -- unlock ----------------------------------------------------------------------------------------------------


def test_unlock_by_name_and_by_address_on_the_command_line_is_audited(settings, web, browser, home):
    for n in range(5):
        sign_in(browser(f"203.0.113.{n}"), "gus", f"wrong-{n}-wrong")
    assert sign_in(browser("198.51.100.7"), "gus").status_code == 429
    locks = run_dms(home, "user", "locks").stdout
    assert re.search(r"user +gus +5 failed .*LOCKED \(dms user unlock gus\)", locks)
    denied = run_dms(home, "user", "unlock", "gus", "--as", "cora", check=False)
    assert denied.returncode == 6
    assert run_json(home, "user", "unlock", "gus", "--as", "ada") == {"unlocked": "gus", "cleared": 5}
    assert sign_in(browser("198.51.100.7"), "gus").status_code == 303

    plain = [TestClient(web, follow_redirects=False, client=("192.0.2.77", 50000)) for _ in range(7)]  # no cookies
    for n, client in enumerate(plain[:5]):
        client.post("/sign-in", data={"name": f"bot{n}", "password": "x-x-x-x-x-x"})
    assert plain[5].post("/sign-in", data={"name": "gus", "password": password_of("gus")}).status_code == 429
    assert re.search(r"address 192\.0\.2\.77 .*LOCKED", run_dms(home, "user", "locks").stdout)
    assert run_json(home, "user", "unlock", "--client", "192.0.2.77", "--as", "ada")["cleared"] == 5
    assert plain[6].post("/sign-in", data={"name": "gus", "password": password_of("gus")}).status_code == 303
    assert [(u, s) for u, s, _ in audit_actions(settings, auth.UNLOCKED)] == [
        ("ada", "user:gus"), ("ada", "client:192.0.2.77")]
    neither = run_dms(home, "user", "unlock", "--as", "ada", check=False)
    assert neither.returncode == 2 and "one of them" in neither.stderr


def test_an_admin_unlocks_a_user_with_a_button_on_the_users_page(browser):
    for n in range(5):
        sign_in(browser(f"203.0.113.{n}"), "cora", f"wrong-{n}-wrong")
    admin = browser("192.0.2.90")
    sign_in(admin, "ada")
    page = admin.get("/users").text
    assert "sign-in locked" in page and 'action="/users/cora/unlock"' in page
    done = admin.post("/users/cora/unlock", data={"csrf": csrf(admin)})
    assert done.status_code == 200 and "cora: 5 failed sign-in(s) cleared" in done.text
    assert sign_in(browser("203.0.113.200"), "cora").status_code == 303
    viewer = browser("192.0.2.91")
    sign_in(viewer, "vera")
    assert viewer.post("/users/cora/unlock", data={"csrf": csrf(viewer)}).status_code == 403


# -- the access log ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """`dms serve` in its own process on a free loopback port, with extra arguments."""

    def __init__(self, home, env=None, args=()):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.out = home.parent / f"serve-{self.port}.out"
        self.err = home.parent / f"serve-{self.port}.err"
        self.files = [open(self.out, "w"), open(self.err, "w")]  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dms", "serve", "--port", str(self.port), *args],
            stdout=self.files[0], stderr=self.files[1],
            env={**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1", "DMS_OCR": "0", **(env or {})})
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/health", timeout=2)
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("dms serve did not start:\n" + self.err.read_text()) from None
                time.sleep(0.1)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Origin": self.base}, follow_redirects=False, timeout=60)

    def sign_in(self, client, name: str, password: str):
        return client.post("/sign-in", data={"name": name, "password": password, "next": "/"})

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        for file in self.files:
            file.close()


def test_the_access_log_has_one_line_per_request_and_no_secrets(tmp_path):
    home = _home(tmp_path)
    log = tmp_path / "access.log"
    with Dms(load(home)) as app:
        _, api_token = auth.create_token(app.catalog, "cora", "script", "cora")
    server = Serve(home, args=("--access-log", str(log)))
    try:
        with server.client() as client:
            client.get("/sign-in?next=%2Fchanges")
            assert server.sign_in(client, "vera", "a-wrong-password").status_code == 401
            assert server.sign_in(client, "vera", password_of("vera")).status_code == 303
            session = client.cookies.get("dms_session")
            assert client.get("/search", params={"q": "lid hinge", "token": "s3cr3t-in-url",
                                                 "csrf": "c5rf-in-url"}).status_code == 200
            client.get("/nope%0A2026-01-01T00:00:00.000Z 6.6.6.6 ada GET /forged 200 1 1.0ms")
            browser_cookie = client.cookies.get("dms_client")
        assert httpx.get(server.base + "/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code \
            == 200
    finally:
        server.stop()
    lines = [line for line in log.read_text().splitlines() if " /health " not in line]  # serve's start-up check
    assert len(lines) == 6, lines
    pattern = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) (\S+) ([A-Z]+) (\S+) (\d{3}) (\d+) "
                         r"(\d+\.\d)ms")
    fields = [pattern.fullmatch(line).groups() for line in lines]
    assert [(f[0], f[1], f[2], f[4]) for f in fields] == [
        ("127.0.0.1", "-", "GET", "200"), ("127.0.0.1", "-", "POST", "401"), ("127.0.0.1", "vera", "POST", "303"),
        ("127.0.0.1", "vera", "GET", "200"), ("127.0.0.1", "vera", "GET", "404"), ("127.0.0.1", "cora", "GET", "200")]
    assert fields[0][3] == "/sign-in?next=/changes"
    assert fields[3][3] == "/search?q=lid+hinge&token=***&csrf=***"
    assert fields[4][3].startswith("/nope%0A2026")  # the request could not forge a line of its own
    assert all(int(f[5]) > 0 for f in fields if f[4] == "200")
    text = log.read_text()
    for secret in (password_of("vera"), "a-wrong-password", session, api_token, browser_cookie, "s3cr3t-in-url",
                   "c5rf-in-url"):
        assert secret not in text
    assert oct(log.stat().st_mode & 0o777) == "0o640"


def test_the_access_log_to_standard_error(tmp_path):
    home = _home(tmp_path, {"ada": "admin"})
    server = Serve(home, args=("--access-log", "-"))
    try:
        httpx.get(server.base + "/health")
    finally:
        server.stop()
    assert re.search(r"Z 127\.0\.0\.1 - GET /health 200 \d+ [\d.]+ms\n", server.err.read_text())


def test_an_access_log_that_cannot_be_written_stops_serve_with_a_message(tmp_path):
    home = _home(tmp_path, {"ada": "admin"})
    proc = run_dms(home, "serve", "--access-log", str(tmp_path / "no" / "such" / "dir" / "access.log"), check=False)
    assert proc.returncode == 1 and "cannot write the access log" in proc.stderr


def test_settings_for_the_limits_are_read_and_checked(home):
    settings = load_settings(environ={"DMS_SIGN_IN_WINDOW_MINUTES": "30", "DMS_SIGN_IN_ATTEMPTS_PER_ADDRESS": "40",
                                      "DMS_KNOWN_CLIENT_DAYS": "90", "DMS_TEMPORARY_PASSWORD_HOURS": "24"}, home=home)
    assert (settings.sign_in_window_minutes, settings.sign_in_attempts_per_address, settings.known_client_days,
            settings.temporary_password_hours) == (30.0, 40, 90.0, 24.0)
