"""The web app's security: sign-in, sessions, CSRF, API tokens, roles, hostile input, headers, limits.

In-process (FastAPI's TestClient) against a real data directory with the sample archive ingested, its catalog on
SQLite and, copied there (dms.catalog.copy), on PostgreSQL: every test runs on both.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import REPO, csrf_of, make_web_home, password_of, run_json, write_pdf
from fastapi.testclient import TestClient

from dms import auth, users
from dms.app import Dms
from dms.config import load_settings


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def web_settings(request, tmp_path_factory):
    """The sample archive with one user of each role (as conftest's), its catalog on SQLite or on PostgreSQL."""
    home = make_web_home(tmp_path_factory.mktemp("web") / "home")
    environ = {"DMS_WORKERS": "2", "DMS_UPLOAD_MAX_MB": "2"}
    if request.param == "postgresql":
        from dms.catalog.copy import copy

        url = request.getfixturevalue("pg_cluster").new_database()
        with Dms(load_settings(environ={}, home=home)) as app:
            copy(app.catalog, url)
        (home / "catalog.sqlite").unlink()  # nothing may read the SQLite one by mistake
        environ["DMS_DATABASE_URL"] = url
    return load_settings(environ=environ, home=home)


@pytest.fixture(scope="module")
def web_app(web_settings):
    from dms.web import create_app

    app = create_app(web_settings)
    yield app
    app.state.web.close()  # the archives its threads opened (no lifespan runs without `with TestClient`)


@pytest.fixture(autouse=True)
def _catalog_of_the_module(request, web_settings, monkeypatch):
    """The `dms` commands a test runs use the module's catalog (run_json inherits the environment). After the
    test, the archives the web app's threads opened are closed: each TestClient serves from threads of its own,
    and a connection per thread that is gone would pile up (PostgreSQL refuses clients past max_connections)."""
    if web_settings.database_url:
        monkeypatch.setenv("DMS_DATABASE_URL", web_settings.database_url)
    else:
        monkeypatch.delenv("DMS_DATABASE_URL", raising=False)
    yield
    if "web_app" in request.fixturenames:
        request.getfixturevalue("web_app").state.web.close()


PAGES = ["/", "/search?q=lid", "/documents/1", "/documents/1/original", "/trace?ref=CR-2023-003",
         "/graph?ref=KX200", "/graph/export", "/path?a=CR-2023-003&b=KX200", "/products/KX200",
         "/products/KX200/retro", "/holds", "/search?q=lid&as_of=2023-06-30", "/changes",
         "/changes/new", "/changes/CR-2023-003", "/changes/CR-2023-003/report", "/problems", "/upload", "/users",
         "/account", "/docs"]


def _api_routes(web_app):
    """Every (method, path) of the JSON API, with sample values in the path."""
    values = {"ref": "CR-2023-003", "number": "CR-2023-003", "link_id": "1", "name": "Some matter", "product": "KX200"}
    for path, methods in web_app.openapi()["paths"].items():
        for method in methods:
            yield method.upper(), "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path.removeprefix(
                "/api/v1"))


def test_every_page_sends_a_stranger_to_sign_in(client_for):
    stranger = client_for(None)
    for path in PAGES:
        response = stranger.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=%2F"), path


def test_every_api_route_answers_401_without_a_token(client_for, web_app):
    stranger = client_for(None)
    routes = list(_api_routes(web_app))
    assert len(routes) >= 20
    for method, path in routes:
        if path == "/api/v1/health":
            continue
        response = stranger.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["type"] == "NotSignedIn"
    assert stranger.get("/api/v1/openapi.json").status_code == 401


def test_only_the_health_checks_need_no_sign_in(client_for):
    stranger = client_for(None)
    assert stranger.get("/health").json()["ok"] is True
    assert stranger.get("/api/v1/health").json() == {"ok": True}


def test_sign_in_sets_an_http_only_same_site_cookie_and_sign_out_ends_the_session(web_app):
    client = TestClient(web_app, follow_redirects=False, client=("10.1.0.1", 5000))
    response = client.post("/sign-in", data={"name": "vera", "password": password_of("vera"), "next": "/changes"})
    assert response.status_code == 303 and response.headers["location"] == "/changes"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    token = client.cookies.get("dms_session")
    assert client.get("/").status_code == 200
    assert client.post("/sign-out", data={"csrf": csrf_of(client)}).status_code == 303
    replay = TestClient(web_app, follow_redirects=False, cookies={"dms_session": token})
    assert replay.get("/").status_code == 303  # the old cookie no longer signs anyone in


def test_wrong_password_is_refused_with_a_message_and_no_cookie(web_app):
    client = TestClient(web_app, follow_redirects=False, client=("10.1.0.2", 5000))
    response = client.post("/sign-in", data={"name": "vera", "password": "not her password"})
    assert response.status_code == 401
    assert "wrong user name or password" in response.text
    assert "dms_session" not in client.cookies


def test_sign_in_never_redirects_off_site(web_app):
    client = TestClient(web_app, follow_redirects=False, client=("10.1.0.3", 5000))
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/sign-in", data={"name": "vera", "password": password_of("vera"), "next": target})
        assert response.headers["location"] == "/", target


def test_a_sign_in_form_posted_from_another_site_is_refused(web_app):
    client = TestClient(web_app, follow_redirects=False, client=("10.1.0.4", 5000))
    response = client.post("/sign-in", data={"name": "vera", "password": password_of("vera")},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and "dms_session" not in client.cookies


def test_failed_sign_ins_are_rate_limited_per_client_even_with_the_right_password(web_app):
    client = TestClient(web_app, follow_redirects=False, client=("10.1.0.5", 5000))
    for n in range(5):
        assert client.post("/sign-in", data={"name": f"nobody{n}", "password": "guess-guess"}).status_code == 401
    locked = client.post("/sign-in", data={"name": "vera", "password": password_of("vera")})
    assert locked.status_code == 429
    assert "too many failed sign-ins; try again in" in locked.text
    elsewhere = TestClient(web_app, follow_redirects=False, client=("10.1.0.6", 5000))
    assert elsewhere.post("/sign-in", data={"name": "vera", "password": password_of("vera")}).status_code == 303


def test_failed_sign_ins_are_rate_limited_per_user_name_across_clients(web_settings, web_app):
    with Dms(web_settings) as app:
        users.add(app.catalog, "gus", "viewer", password_of("gus"), by="ada")
    for n in range(5):
        client = TestClient(web_app, follow_redirects=False, client=(f"10.2.0.{n}", 5000))
        assert client.post("/sign-in", data={"name": "gus", "password": "wrong-wrong"}).status_code == 401
    late = TestClient(web_app, follow_redirects=False, client=("10.2.1.1", 5000))
    assert late.post("/sign-in", data={"name": "gus", "password": password_of("gus")}).status_code == 429


def test_a_disabled_user_loses_their_session_and_tokens(web_settings, client_for):
    with Dms(web_settings) as app:
        users.add(app.catalog, "dora", "coordinator", password_of("dora"), by="ada")
        _, secret = auth.create_token(app.catalog, "dora", "script", "dora")
    dora = client_for("dora")
    assert dora.get("/").status_code == 200
    with Dms(web_settings) as app:
        users.disable(app.catalog, "dora", by="ada")
    assert dora.get("/").status_code == 303
    assert client_for(None).get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


# -- CSRF ----------------------------------------------------------------------------------------------


def _count_changes(web_settings) -> int:
    with Dms(web_settings) as app:
        return app.catalog.conn.execute("SELECT COUNT(*) FROM change_requests").fetchone()[0]


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client_for, web_settings):
    cora = client_for("cora")
    before = _count_changes(web_settings)
    for data in ({"title": "Forged"}, {"title": "Forged", "csrf": "not-the-token"}):
        response = cora.post("/changes", data=data)
        assert response.status_code == 403
        assert "CSRF check failed" in response.text
    assert _count_changes(web_settings) == before
    response = cora.post("/changes", data={"title": "Genuine", "csrf": csrf_of(cora)})
    assert response.status_code == 303 and _count_changes(web_settings) == before + 1


def test_the_api_with_a_session_cookie_needs_the_csrf_header_but_a_token_does_not(client_for, web_settings):
    cora = client_for("cora")
    body = {"title": "Through the API"}
    assert cora.post("/api/v1/changes", json=body).status_code == 403
    assert cora.post("/api/v1/changes", json=body, headers={"X-CSRF-Token": csrf_of(cora)}).status_code == 201
    with Dms(web_settings) as app:
        _, secret = auth.create_token(app.catalog, "cora", "ci", "cora")
    plain = client_for(None)
    created = plain.post("/api/v1/changes", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert created.status_code == 201 and created.json()["applicant"] == "cora"


# -- API tokens ------------------------------------------------------------------------------------------


def test_api_tokens_from_the_cli_work_until_revoked(web_settings, client_for):
    home = str(web_settings.home)
    made = run_json(web_settings.home, "user", "token", "create", "vera", "--label", "report script",
                    env={"DMS_USER": "vera", "DMS_HOME": home})
    assert made["token"].startswith("dms_")
    api = client_for(None)
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert api.get("/api/v1/me", headers=headers).json() == {"name": "vera", "role": "viewer"}
    listed = run_json(web_settings.home, "user", "token", "list", "vera")
    assert made["token"] not in str(listed)  # secrets are never shown again
    assert any(t["id"] == made["id"] and t["last_used_at"] for t in listed["tokens"])
    run_json(web_settings.home, "user", "token", "revoke", str(made["id"]), env={"DMS_USER": "vera"})
    assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_only_an_admin_makes_tokens_for_someone_else(web_settings):
    with Dms(web_settings) as app:
        with pytest.raises(Exception, match="needs a admin"):
            auth.create_token(app.catalog, "mona", "x", "vera")
        token_id, _ = auth.create_token(app.catalog, "mona", "for mona", "ada")
        assert any(t["id"] == token_id for t in auth.tokens(app.catalog, "mona"))


def test_a_malformed_authorization_header_is_explained(client_for):
    response = client_for(None).get("/api/v1/me", headers={"Authorization": "Basic dmVyYTpwdw=="})
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]["message"]


def test_the_account_page_shows_a_new_token_once(client_for):
    vera = client_for("vera")
    page = vera.post("/account/tokens", data={"label": "laptop", "csrf": csrf_of(vera)}).text
    secret = re.search(r"(dms_[\w-]+)", page).group(1)
    assert vera.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in vera.get("/account").text


# -- roles -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "method", "path", "data"), [
    ("vera", "GET", "/upload", None),
    ("vera", "POST", "/upload", {}),
    ("vera", "POST", "/documents/1/links", {"target": "2", "type": "relates_to", "reason": "x"}),
    ("vera", "POST", "/links/1/remove", {"reason": "x"}),
    ("cora", "GET", "/users", None),
    ("mona", "GET", "/users", None),
    ("mona", "POST", "/users", {"name": "eve", "role": "admin", "password": "eve-password-1"}),
    ("cora", "POST", "/users/vera/role", {"role": "admin"}),
    ("mona", "POST", "/users/vera/disable", {}),
])
def test_pages_refuse_a_role_too_small(client_for, user, method, path, data):
    client = client_for(user)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data={**data, "csrf": csrf_of(client)})
    assert response.status_code == 403, response.text
    assert "this needs a" in response.text


def test_a_viewer_cannot_move_a_change_request_along(client_for):
    cora, vera = client_for("cora"), client_for("vera")
    number = cora.post("/api/v1/changes", json={"title": "Role check"},
                       headers={"X-CSRF-Token": csrf_of(cora)}).json()["number"]
    cora.post(f"/changes/{number}/submit", data={"csrf": csrf_of(cora)})
    response = vera.post(f"/changes/{number}/review", data={"csrf": csrf_of(vera)})
    assert response.status_code == 403 and "vera is a viewer" in response.text
    assert cora.get(f"/api/v1/changes/{number}").json()["state"] == "submitted"
    page = vera.get(f"/changes/{number}").text
    assert 'data-action="review"' not in page  # no form for what the role cannot do


def test_only_admins_manage_users(client_for, web_settings):
    ada = client_for("ada")
    response = ada.post("/users", data={"name": "walt", "role": "viewer", "password": "walt-password-1",
                                        "csrf": csrf_of(ada)})
    assert response.status_code == 303
    ada.post("/users/walt/role", data={"role": "coordinator", "csrf": csrf_of(ada)})
    with Dms(web_settings) as app:
        assert users.get(app.catalog, "walt").role == "coordinator"


# -- hostile input ---------------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def hostile_document(web_settings, tmp_path_factory):
    """A document whose file name, title and text carry HTML and script."""
    from dms.ingest.pipeline import ingest

    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "<img src=x onerror=alert(1)>.txt"
    path.write_text(f"{HOSTILE} quarantined zanzibar report\nDate: 2024-02-02\n")
    with Dms(web_settings) as app:
        ingest(app, [folder], inline=True)
        return app.catalog.document_at_path(str(path)).id


def _inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html.replace("&gt;", ">").split("<body", 1)[1].replace(
        "&lt;img src=x onerror=alert(1)>", "")


def test_hostile_titles_file_names_and_text_render_inert(client_for, hostile_document):
    vera = client_for("vera")
    for path in (f"/documents/{hostile_document}?q=zanzibar", "/search?q=zanzibar", "/"):
        html = vera.get(path).text
        assert "zanzibar" in html.lower(), path
        _inert(html)
    assert "&lt;script&gt;" in vera.get(f"/documents/{hostile_document}").text


def test_a_hostile_query_string_is_echoed_inert(client_for):
    vera = client_for("vera")
    for q in (HOSTILE, '"><script>alert(1)</script>', "title:<script>"):
        response = vera.get("/search", params={"q": q})
        assert response.status_code in (200, 400)
        _inert(response.text)


def test_a_hostile_change_request_title_renders_inert(client_for):
    cora = client_for("cora")
    number = cora.post("/api/v1/changes", json={"title": HOSTILE},
                       headers={"X-CSRF-Token": csrf_of(cora)}).json()["number"]
    for path in (f"/changes/{number}", "/changes", "/", f"/changes/{number}/report"):
        _inert(cora.get(path).text)


def test_the_download_of_a_hostile_file_name_is_an_attachment_with_a_safe_name(client_for, hostile_document):
    response = client_for("vera").get(f"/documents/{hostile_document}/original")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "<" not in disposition and '"' not in disposition.split("filename", 1)[1].strip('="')[:-1]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_downloads_cannot_leave_the_store(client_for, web_settings):
    vera = client_for("vera")
    for path in ("/documents/..%2F..%2Fcatalog.sqlite/original", "/documents/1%2F..%2F2/original",
                 "/api/v1/documents/..%2Fcatalog.sqlite/original", "/static/..%2Fcatalog.sqlite",
                 "/static/swagger/..%2F..%2F..%2Fetc%2Fpasswd"):
        response = vera.get(path)
        assert response.status_code in (400, 404), path
        assert b"SQLite format" not in response.content and b"root:" not in response.content
    with Dms(web_settings) as app, pytest.raises(Exception, match="is not a SHA-256"):
        app.store.path_for("../../catalog.sqlite")


def test_the_original_downloads_byte_for_byte_with_its_sha256(client_for, web_settings):
    response = client_for("vera").get("/documents/1/original")
    with Dms(web_settings) as app:
        doc = app.catalog.document(1)
    assert hashlib.sha256(response.content).hexdigest() == doc.version.sha256 == response.headers["x-content-sha256"]
    assert response.content == Path(doc.path).read_bytes()
    assert client_for("vera").get("/documents/1/original?version=99").status_code == 404
    assert client_for("vera").get("/documents/999999/original").status_code == 404


# -- headers and limits ------------------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(client_for):
    vera = client_for("vera")
    for path in ("/", "/search?q=lid", "/api/v1/me", "/static/dms.css", "/nope", "/sign-in"):
        headers = vera.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_or_style(client_for):
    vera = client_for("vera")
    for path in ("/", "/search?q=lid", "/documents/1", "/graph?ref=KX200", "/changes/CR-2023-003", "/docs"):
        html = vera.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(client_for, web_settings):
    cora = client_for("cora")
    uploads = web_settings.home / "uploads"
    before = sorted(uploads.rglob("*")) if uploads.exists() else []
    big = b"x" * (3 * 2**20)  # the test app allows 2 MB
    response = cora.post("/upload", data={"csrf": csrf_of(cora)}, files={"files": ("big.txt", big, "text/plain")})
    assert response.status_code == 413
    assert "larger than the limit of 2 MB" in response.text
    api = cora.post("/api/v1/documents", files={"files": ("big.txt", big, "text/plain")},
                    headers={"X-CSRF-Token": csrf_of(cora)})
    assert api.status_code == 413 and api.json()["error"]["type"] == "TooLarge"
    assert (sorted(uploads.rglob("*")) if uploads.exists() else []) == before


def test_an_upload_without_a_declared_length_is_cut_off_at_the_limit(web_app, client_for):
    cora = client_for("cora")
    token = csrf_of(cora)
    boundary = "dmsboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()

    def chunks():
        yield head
        for _ in range(40):
            yield b"y" * 100_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = cora.post("/upload", content=chunks(),
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413


def test_upload_file_names_cannot_escape_the_uploads_folder(client_for, web_settings, tmp_path):
    cora = client_for("cora")
    pdf = write_pdf(tmp_path / "x.pdf", ["Escape attempt kumquat"]).read_bytes()
    response = cora.post("/api/v1/documents", headers={"X-CSRF-Token": csrf_of(cora)},
                         files={"files": ("../../../escaped-kumquat.pdf", pdf, "application/pdf")})
    assert response.status_code == 200, response.text
    stored = response.json()["files"][0]["stored_as"]
    assert stored.startswith(str(web_settings.home / "uploads")) and stored.endswith("/escaped-kumquat.pdf")
    assert not (web_settings.home.parent / "escaped-kumquat.pdf").exists()
    assert not (REPO / "escaped-kumquat.pdf").exists()


@pytest.mark.parametrize("user", ["vera", "cora", "mona", "ada"])
def test_every_page_answers_each_role_as_its_role_allows(client_for, user):
    client = client_for(user)
    role = {"vera": "viewer", "cora": "coordinator", "mona": "manager", "ada": "admin"}[user]
    needs = {"/upload": ("coordinator", "manager", "admin"), "/users": ("admin",)}
    number = client.post("/api/v1/changes", json={"title": f"{user}'s request"},
                         headers={"X-CSRF-Token": csrf_of(client)}).json()["number"]
    pages = [p.replace("CR-2023-003/report", f"{number}/report") for p in PAGES]  # on file only: no report
    assert client.get("/changes/CR-2023-003/report").status_code == 404
    for path in pages:
        expected = 200 if role in needs.get(path, (role,)) else 403
        assert client.get(path).status_code == expected, (user, path)
