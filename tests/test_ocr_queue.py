"""OCR is bounded and leaves the request: pages and time per document are limits named by settings, and a
web upload returns once its files are stored and catalogued while a queue inside the server recognises the
scanned pages, without holding the write lock across OCR. The scans are real image-only PDFs drawn by the
test; the slow OCR is the real Tesseract behind a real wrapper program that sleeps first."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import csrf_of, password_of, run_json

from dms.samplegen.scans import page_image

pytestmark = [pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs the real Tesseract"),
              pytest.mark.both_catalogs]  # on SQLite and on PostgreSQL (the `home` fixture)


def _catalog_env(**more: str) -> dict:
    """Settings for this test's catalog: its PostgreSQL URL when it runs on PostgreSQL (conftest.database_url)."""
    url = os.environ.get("DMS_DATABASE_URL")
    return {**({"DMS_DATABASE_URL": url} if url else {}), **more}


def write_sheets(path: Path, count: int) -> Path:
    """An image-only PDF of `count` small scanned pages, page n reading "Inspection sheet n …"."""
    images = [page_image([f"Inspection sheet {n} for the lid hinge"], size=(1000, 260)).convert("RGB")
              for n in range(1, count + 1)]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150.0)
    return path


def ocr_states(home: Path) -> list[str | None]:
    from dms.catalog.db import open_catalog
    from dms.config import load_settings

    catalog = open_catalog(load_settings(environ=_catalog_env(), home=home).catalog_location)
    try:
        return [state for (state,) in catalog.conn.execute(
            "SELECT p.ocr FROM pages p JOIN documents d ON d.current_version_id = p.version_id ORDER BY p.page_no")]
    finally:
        catalog.close()


def slow_tesseract(folder: Path, seconds: float) -> Path:
    """The real Tesseract, started only after `seconds` for each page it reads (not for --list-langs)."""
    script = folder / "slow-tesseract"
    real = shutil.which("tesseract")
    script.write_text(f'#!/bin/sh\nif [ "$1" = stdin ]; then sleep {seconds}; fi\nexec {real} "$@"\n')
    script.chmod(0o755)
    return script


def test_a_long_scan_is_ocred_only_up_to_the_page_limit_and_a_retry_continues(home, tmp_path):
    scan = write_sheets(tmp_path / "sheets.pdf", 12)
    bound = {"DMS_OCR_MAX_PAGES": "3", "DMS_WORKERS": "2"}
    report = run_json(home, "ingest", str(scan), env=bound)
    assert report["added"] == 1 and report["ocr"]["pages"] == 3 and report["ocr"]["documents"] == 1
    (problem,) = [p for p in report["problems"] if p["kind"] == "ocr"]
    assert problem["severity"] == "warning" and "pages 4-12 were not OCRed" in problem["reason"]
    assert "DMS_OCR_MAX_PAGES" in problem["reason"] and "dms ocr --retry-failed" in problem["reason"]
    assert ocr_states(home) == ["done"] * 3 + ["failed"] * 9
    found = run_json(home, "search", '"inspection sheet 2"')["hits"]
    assert [h["page"] for h in found] == [2]  # what was read is indexed with the rest of the document

    again = run_json(home, "ocr", "--retry-failed", env=bound)
    assert again["pages"] == 3
    assert ocr_states(home) == ["done"] * 6 + ["failed"] * 6
    reasons = [p["reason"] for p in run_json(home, "problems")["problems"] if p["kind"] == "ocr"]
    assert len(reasons) == 1 and "pages 7-12 were not OCRed" in reasons[0]  # the old notice is replaced
    assert [h["page"] for h in run_json(home, "search", '"inspection sheet 5"')["hits"]] == [5]


def test_a_scan_over_the_time_limit_per_document_stops_and_says_so(home, tmp_path):
    scan = write_sheets(tmp_path / "sheets.pdf", 30)
    report = run_json(home, "ingest", str(scan), env={"DMS_OCR_DOCUMENT_TIMEOUT": "0.5", "DMS_WORKERS": "1"})
    done = report["ocr"]["pages"]
    assert 1 <= done <= 4 and report["ocr"]["seconds"] < 20
    (problem,) = [p for p in report["problems"] if p["kind"] == "ocr"]
    assert f"pages {done + 1}-30 were not OCRed" in problem["reason"]
    assert "0.5 s" in problem["reason"] and "DMS_OCR_DOCUMENT_TIMEOUT" in problem["reason"]
    assert ocr_states(home) == ["done"] * done + ["failed"] * (30 - done)


def _web(home: Path, environ: dict):
    from dms import users
    from dms.app import Dms
    from dms.config import load_settings

    settings = load_settings(environ=_catalog_env(**environ), home=home)
    with Dms(settings) as archive:
        users.add(archive.catalog, "ada", "admin", password_of("ada"), by="ada")
        users.add(archive.catalog, "cora", "coordinator", password_of("cora"), by="ada")
    return settings


def _signed_in(client):
    response = client.post("/sign-in", data={"name": "cora", "password": password_of("cora"), "next": "/"})
    assert response.status_code == 303
    return {"X-CSRF-Token": csrf_of(client)}


def _wait_for(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def test_an_upload_returns_before_ocr_and_other_writes_go_on_meanwhile(home, tmp_path):
    from fastapi.testclient import TestClient

    from dms.web import create_app

    settings = _web(home, {"DMS_TESSERACT": str(slow_tesseract(tmp_path, 2)), "DMS_WORKERS": "1"})
    scan = write_sheets(tmp_path / "sheets.pdf", 3)  # at least 6 s of OCR, one page at a time
    with TestClient(create_app(settings), follow_redirects=False) as client:
        headers = _signed_in(client)
        started = time.monotonic()
        uploaded = client.post("/api/v1/documents", headers=headers,
                               files={"files": ("sheets.pdf", scan.read_bytes(), "application/pdf")})
        took = time.monotonic() - started
        assert uploaded.status_code in (200, 201), uploaded.text
        (sent,) = uploaded.json()["files"]
        assert sent["ocr"] == {"pages": 3, "done": 0, "waiting": 3, "failed": 0}
        assert ocr_states(home).count("done") < 3 and took < 6

        started = time.monotonic()  # another write while the scan is being read
        filed = client.post("/api/v1/changes", headers=headers, json={"title": "Lid hinge tolerance"})
        assert filed.status_code == 201, filed.text
        assert time.monotonic() - started < 5
        assert ocr_states(home).count("done") < 3  # it really went on during OCR

        page = client.get(f"/documents/{sent['id']}").text
        assert re.search(r"OCR: [0-2] of 3 page\(s\) done", page)
        assert "scanned page(s) in 1 document(s) wait for OCR" in client.get("/").text

        _wait_for(lambda: "OCR: 3 of 3 page(s) done" in client.get(f"/documents/{sent['id']}").text, 90)
        # the index follows the catalog (it may only hold what the catalog committed): a moment later, under load
        hits = _wait_for(lambda: client.get("/api/v1/search", params={"q": '"inspection sheet 2"'}).json()["hits"],
                         30)
        assert [(h["id"], h["page"]) for h in hits] == [(sent["id"], 2)]
        entries = client.get(f"/api/v1/audit/{sent['id']}").json()["entries"]
        assert [(e["user"], e["action"]) for e in entries] == [("cora", "ingest"), ("cora", "ocr")]  # the uploader


def test_the_server_picks_up_pages_left_waiting_when_it_starts(home, tmp_path):
    from fastapi.testclient import TestClient

    from dms.app import Dms
    from dms.config import load_settings
    from dms.ingest.pipeline import ingest
    from dms.web import create_app

    settings = _web(home, {"DMS_WORKERS": "1"})
    scan = write_sheets(tmp_path / "sheets.pdf", 2)
    with Dms(load_settings(environ=_catalog_env(DMS_OCR="0"), home=home)) as archive:
        assert ingest(archive, [scan]).ocr["waiting"] == 2
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _signed_in(client)
        hits = _wait_for(lambda: client.get("/api/v1/search", params={"q": '"inspection sheet 2"'}).json()["hits"], 60)
        assert [h["page"] for h in hits] == [2]
    assert ocr_states(home) == ["done", "done"]
