"""Integrity that tells the truth, and repairs: each test is the attack, on real files.

Garbage written into the pages of the real SQLite catalog and over its header; real Whoosh and Tantivy
index files overwritten; a real stored original altered or deleted; and, on the web, `Origin: null`,
forged X-Forwarded-For against a real `dms serve`, impossible as-of dates.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dms import audit, auth, users
from dms.app import Dms
from dms.config import load_settings
from dms.errors import ConfigError
from dms.ingest.pipeline import ingest
from dms.search import search
from dms.verify import verify
from tests.conftest import run_dms

WORDS = ["ocelot kettle lid", "ocelot gasket seal", "ocelot heating element", "ocelot thermostat", "ocelot hinge"]


def _archive(tmp_path: Path, engine: str = "whoosh") -> tuple[Path, Path]:
    """A data directory with five text documents ingested, and the folder they came from."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n, words in enumerate(WORDS, start=1):
        (inbox / f"note{n}.txt").write_text(f"Note {n}\n\nThe {words} of product KX200, page {n}.\n")
    home = tmp_path / "home"
    with Dms(load_settings(environ={"DMS_WORKERS": "1", "DMS_SEARCH_ENGINE": engine}, home=home)) as app:
        ingest(app, [inbox])
    return home, inbox


def _no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


# -- the catalog ----------------------------------------------------------------------------------------------

def _overwrite_inside_page(catalog: Path, table: str) -> None:
    """Garbage over cells of the b-tree page holding `table` (an index or a table), not over any header."""
    with sqlite3.connect(catalog) as conn:
        (page,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with open(catalog, "r+b") as fh:
        start = (page - 1) * size
        fh.seek(start + 5)
        cells = int.from_bytes(fh.read(2), "big")  # where the page's cell content begins
        assert 12 <= cells < size - 32
        fh.seek(start + cells + 4)
        fh.write(b"\xde\xad\xbe\xef" * 6)


@pytest.mark.parametrize("table", ["audit_log_action", "versions"])  # an index verify never reads; a table it reads
def test_verify_names_garbage_written_inside_a_catalog_page(tmp_path, table):
    home, _ = _archive(tmp_path)
    _overwrite_inside_page(home / "catalog.sqlite", table)
    proc = run_dms(home, "verify", check=False)
    _no_traceback(proc)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "catalog" in proc.stdout and "integrity check" in proc.stdout
    report = json.loads(run_dms(home, "verify", "--json", check=False).stdout)
    assert not report["ok"] and report["problems"][0]["kind"] == "catalog"


def test_a_destroyed_catalog_header_is_a_clear_error_for_every_command(tmp_path):
    home, inbox = _archive(tmp_path)
    with open(home / "catalog.sqlite", "r+b") as fh:
        fh.write(os.urandom(100))
    for args in (["verify"], ["stats"], ["search", "ocelot"], ["ingest", str(inbox)], ["audit", "verify"]):
        proc = run_dms(home, *args, check=False)
        _no_traceback(proc)
        assert proc.returncode == 4, (args, proc.stderr)
        assert "is not a SQLite database or is damaged" in proc.stderr, (args, proc.stderr)
        assert "restore it from a backup" in proc.stderr


# -- the search index -----------------------------------------------------------------------------------------

def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    n = len(data)
    data[n // 4: 3 * n // 4] = b"\xff" * (3 * n // 4 - n // 4)  # the middle half of the file
    if path.suffix == ".toc":
        data[10:40] = bytes(30)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("engine, pattern", [("whoosh", "*.toc"), ("whoosh", "*.seg"), ("tantivy", "meta.json"),
                                             ("tantivy", "*.store"), ("tantivy", "*.term")])
def test_a_corrupted_index_is_reported_by_verify_and_search_and_reindex_repairs_it(tmp_path, engine, pattern):
    home, _ = _archive(tmp_path, engine)
    env = {"DMS_SEARCH_ENGINE": engine}
    for victim in (home / "index").glob(pattern):
        _garble(victim)
    checked = run_dms(home, "verify", env=env, check=False)
    _no_traceback(checked)
    assert checked.returncode == 4, checked.stdout + checked.stderr
    assert "index:" in checked.stdout and "cannot be read" in checked.stdout and "dms reindex" in checked.stdout
    searched = run_dms(home, "search", "ocelot", env=env, check=False)
    _no_traceback(searched)
    assert searched.returncode == 5, searched.stderr
    assert "search index" in searched.stderr and "dms reindex" in searched.stderr
    with Dms(load_settings(environ=env, home=home)) as app:  # what `dms reindex` runs
        assert app.reindex() == 5
        assert verify(app).ok and search(app, "ocelot").total == 5


# -- stored originals -----------------------------------------------------------------------------------------

def _blob_of(home: Path, name: str) -> Path:
    with Dms(load_settings(environ={}, home=home)) as app:
        (doc,) = [d for d in app.catalog.graph_documents() if d.name == name]
        return app.store.path_for(doc.version.sha256)


def _alter(blob: Path) -> None:
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[5:12] = b"XXXXXXX"  # same size: only re-hashing notices
    blob.write_bytes(bytes(data))


def _repairs(home: Path) -> list[dict]:
    with Dms(load_settings(environ={}, home=home)) as app:
        return [e for e in audit.entries_for(app.catalog, {f"doc:{d.id}" for d in app.catalog.graph_documents()})
                if e["action"] == "repair"]


def _reingest(home: Path, inbox: Path):
    with Dms(load_settings(environ={"DMS_WORKERS": "1"}, home=home)) as app:
        return ingest(app, [inbox])


def _verified(home: Path) -> bool:
    with Dms(load_settings(environ={}, home=home)) as app:
        return verify(app).ok


def test_re_ingesting_the_intact_source_repairs_a_corrupted_stored_original(tmp_path):
    home, inbox = _archive(tmp_path)
    blob = _blob_of(home, "note2.txt")
    _alter(blob)
    broken = run_dms(home, "verify", check=False)
    assert broken.returncode == 4 and "altered" in broken.stdout
    report = _reingest(home, inbox)
    assert blob.read_bytes() == (inbox / "note2.txt").read_bytes()
    assert run_dms(home, "verify").returncode == 0
    assert report.repaired == 1 and report.unchanged == 5 and report.updated == 0
    assert blob.stat().st_mode & 0o777 == 0o444  # read-only again, as every stored original
    (entry,) = _repairs(home)
    assert entry["details"]["path"] == str(inbox / "note2.txt") and "altered" in entry["details"]["was"]


def test_a_deleted_stored_original_is_restored_by_re_ingest_without_a_verify_first(tmp_path):
    home, inbox = _archive(tmp_path)
    blob = _blob_of(home, "note4.txt")
    blob.unlink()
    report = _reingest(home, inbox)
    assert blob.read_bytes() == (inbox / "note4.txt").read_bytes() and _verified(home)
    assert report.repaired == 1
    assert [e["details"]["was"] for e in _repairs(home)] == ["the stored original was missing"]


def test_a_changed_file_whose_new_bytes_match_a_corrupted_blob_repairs_it(tmp_path):
    home, inbox = _archive(tmp_path)
    blob = _blob_of(home, "note1.txt")
    _alter(blob)
    (inbox / "note5.txt").write_bytes((inbox / "note1.txt").read_bytes())  # now a copy of note1
    (inbox / "note1.txt").unlink()  # and note1's own source is gone: only note5 can repair the blob
    report = _reingest(home, inbox)
    assert blob.read_bytes() == (inbox / "note5.txt").read_bytes() and _verified(home)
    assert report.repaired == 1 and report.updated == 1


# -- the web: sign-in origin, forwarded addresses, impossible dates ----------------------------------------------

@pytest.fixture(scope="module")
def small_web(tmp_path_factory):
    """A small archive with one admin (password and API token), and its in-process web app."""
    from dms.web import create_app

    home, _ = _archive(tmp_path_factory.mktemp("web"))
    settings = load_settings(environ={"DMS_WORKERS": "1"}, home=home)
    with Dms(settings) as app:
        users.add(app.catalog, "ada", "admin", "ada-password-1", by="ada")
        _, token = auth.create_token(app.catalog, "ada", "tests", "ada")
    return home, create_app(settings), token


def test_a_sign_in_posted_with_origin_null_is_refused(small_web):
    _, web, _ = small_web
    form = {"name": "ada", "password": "ada-password-1"}
    sandboxed = TestClient(web, follow_redirects=False, client=("10.9.0.1", 5000))
    response = sandboxed.post("/sign-in", data=form, headers={"Origin": "null"})
    assert response.status_code == 403 and "dms_session" not in sandboxed.cookies
    script = TestClient(web, follow_redirects=False, client=("10.9.0.2", 5000))  # no Origin, no Referer: a tool
    assert script.post("/sign-in", data=form).status_code == 303


def test_an_impossible_as_of_date_is_refused_on_the_cli_the_web_and_the_api(small_web):
    home, web, token = small_web
    proc = run_dms(home, "search", "ocelot", "--as-of", "2023-02-30", check=False)
    _no_traceback(proc)
    assert proc.returncode == 2 and "no such day" in proc.stderr
    assert run_dms(home, "show", "1", "--as-of", "2023-13-01", check=False).returncode == 2
    api = TestClient(web, headers={"Authorization": f"Bearer {token}"})
    answer = api.get("/api/v1/search", params={"q": "ocelot", "as_of": "2023-02-30"})
    assert answer.status_code == 400 and "no such day" in answer.json()["error"]["message"]
    assert api.get("/api/v1/search", params={"q": "ocelot", "as_of": "2023-02-28"}).status_code == 200
    page = TestClient(web, follow_redirects=False)
    page.post("/sign-in", data={"name": "ada", "password": "ada-password-1"})
    shown = page.get("/search", params={"q": "ocelot", "as_of": "2023-02-30"})
    assert shown.status_code == 400 and "no such day" in shown.text


def test_a_damaged_index_answers_503_with_the_remedy_on_the_api(tmp_path):
    from dms.web import create_app

    home, _ = _archive(tmp_path)
    settings = load_settings(environ={"DMS_WORKERS": "1"}, home=home)
    with Dms(settings) as app:
        users.add(app.catalog, "ada", "admin", "ada-password-1", by="ada")
        _, token = auth.create_token(app.catalog, "ada", "tests", "ada")
    for victim in (home / "index").glob("*.seg"):
        _garble(victim)
    api = TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"})
    answer = api.get("/api/v1/search", params={"q": "ocelot"})
    assert answer.status_code == 503
    assert answer.json()["error"]["type"] == "IndexUnavailable" and "dms reindex" in answer.json()["error"]["message"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(home: Path, env: dict) -> Iterator[str]:
    """A real `dms serve` on a free loopback port, stopped on leaving."""
    port = _free_port()
    log = home.parent / f"serve-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dms", "serve", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, "DMS_HOME": str(home), **env})
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/health", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError("dms serve did not start: " + log.read_text()) from None
                    time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _wrong_password(base: str, name: str, forwarded: str) -> int:
    body = urllib.parse.urlencode({"name": name, "password": "not-the-password"}).encode()
    request = urllib.request.Request(base + "/sign-in", data=body, headers={"X-Forwarded-For": forwarded})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_forwarded_for_is_believed_only_from_a_configured_proxy(small_web):
    """Four wrong passwords from one real peer, each for another name and with another X-Forwarded-For."""
    home, _, _ = small_web
    with _serving(home, {"DMS_SIGN_IN_ATTEMPTS": "3"}) as base:  # no proxy configured: the header is ignored
        codes = [_wrong_password(base, f"direct{n}", f"203.0.113.{n}") for n in range(4)]
    assert codes == [401, 401, 401, 429]  # all four counted against 127.0.0.1, the real peer
    with _serving(home, {"DMS_SIGN_IN_ATTEMPTS": "3", "DMS_TRUSTED_PROXIES": "127.0.0.1"}) as base:
        codes = [_wrong_password(base, f"proxied{n}", f"203.0.113.{50 + n}") for n in range(4)]
    assert codes == [401, 401, 401, 401]  # each counted against the client the trusted proxy names


def test_a_damaged_catalog_is_a_clear_error_page_on_the_web(tmp_path):
    """The catalog's header destroyed under a configured server: each request is answered, with the remedy."""
    from dms.web import create_app

    home, _ = _archive(tmp_path)
    settings = load_settings(environ={"DMS_WORKERS": "1"}, home=home)
    with Dms(settings) as app:
        users.add(app.catalog, "ada", "admin", "ada-password-1", by="ada")
        _, token = auth.create_token(app.catalog, "ada", "tests", "ada")
    web = create_app(settings)
    with open(home / "catalog.sqlite", "r+b") as fh:
        fh.write(os.urandom(100))
    api = TestClient(web, headers={"Authorization": f"Bearer {token}"})
    answer = api.get("/api/v1/search", params={"q": "ocelot"})
    assert answer.status_code == 500 and answer.json()["error"]["type"] == "CatalogDamaged"
    assert "restore it from a backup" in answer.json()["error"]["message"]


def test_a_trusted_proxy_setting_takes_only_addresses_and_networks():
    assert load_settings(environ={"DMS_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}, home="/tmp").trusted_proxies == (
        "127.0.0.1/32", "10.0.0.0/8")
    assert load_settings(environ={}, home="/tmp").trusted_proxies == ()  # none by default
    with pytest.raises(ConfigError, match="DMS_TRUSTED_PROXIES"):
        load_settings(environ={"DMS_TRUSTED_PROXIES": "*"}, home="/tmp")
