"""OCR of scans with the real Tesseract: image files, image-only and mixed PDFs, limits, and the
"needs OCR" path when Tesseract is missing. Every page image is drawn by the test itself."""

from __future__ import annotations

import json
import sqlite3
import time
import zipfile

import pytest
from conftest import run_dms, run_json, write_pdf
from writers_scan import write_image_pdf, write_mixed_pdf, write_png, write_tiff

NO_TESSERACT = {"DMS_TESSERACT": "/nonexistent/bin/tesseract"}
AGREEMENT = ["Supplier quality agreement", "The lid hinge tolerance is 0.2 mm.",
             "The changes agreed in CR-2023-003 apply."]


def hits(home, query, **env):
    return run_json(home, "search", query, env=env)["hits"]


def page_rows(home, doc_id):
    with sqlite3.connect(home / "catalog.sqlite") as db:
        return db.execute(
            "SELECT p.page_no, p.source, p.ocr, p.ocr_confidence FROM pages p JOIN documents d "
            "ON d.current_version_id = p.version_id WHERE d.id = ? ORDER BY p.page_no", (doc_id,)).fetchall()


def test_a_scanned_png_is_found_by_its_words_and_its_citations_are_traced(home, inbox):
    write_png(inbox / "agreement.png", AGREEMENT)
    report = run_json(home, "ingest", str(inbox))
    assert report["ocr"]["pages"] == 1 and report["ocr"]["failed"] == 0 and report["ocr"]["confidence"] > 70
    (hit,) = hits(home, '"hinge tolerance"')
    assert hit["path"].endswith("agreement.png") and hit["page"] == 1 and "<mark>hinge</mark>" in hit["snippet"]
    shown = run_json(home, "show", str(hit["id"]))
    assert shown["ocr"]["ocr_pages"] == [1] and shown["ocr"]["confidence"] > 70 and shown["ocr"]["needs_ocr"] == []
    assert [c["identifier"] for c in shown["citations"]] == ["CR-2023-003"]
    assert shown["citations"][0]["page"] == 1
    traced = run_json(home, "trace", "CR-2023-003")
    assert [d["id"] for d in traced["documents"]] == [hit["id"]]
    audit = run_json(home, "audit", "show", str(hit["id"]))
    (entry,) = [e for e in audit["entries"] if e["action"] == "ocr"]
    assert entry["details"]["pages"] == [1] and entry["details"]["confidence"] > 70
    run_dms(home, "bundle", "create", "hinge", "-o", str(home / "b.zip"))
    with zipfile.ZipFile(home / "b.zip") as z:
        (row,) = json.loads(z.read("manifest.json"))
        assert "hinge tolerance" in z.read("text/DMS-000001.txt").decode()
    assert row["ocr_pages"] == ["1"] and row["ocr_confidence"] > 70


def test_each_page_of_a_multi_page_tiff_is_recognised_on_its_own_page(home, inbox):
    write_tiff(inbox / "scan.tiff", [["Delivery note for the kettle base"], ["Returned units were dented"]])
    run_json(home, "ingest", str(inbox))
    (hit,) = hits(home, "dented")
    assert hit["page"] == 2
    (hit,) = hits(home, '"delivery note"')
    assert hit["page"] == 1
    assert [(n, source, ocr) for n, source, ocr, _ in page_rows(home, hit["id"])] == [
        (1, "ocr", "done"), (2, "ocr", "done")]


def test_an_image_only_pdf_is_recognised_page_by_page(home, inbox):
    write_image_pdf(inbox / "signed.pdf", [["Contract signed by both parties"], ["Penalty clause for late delivery"]])
    run_json(home, "ingest", str(inbox))
    (hit,) = hits(home, '"penalty clause"')
    assert hit["path"].endswith("signed.pdf") and hit["page"] == 2


def test_a_mixed_pdf_ocrs_only_its_image_pages(home, inbox):
    write_mixed_pdf(inbox / "minutes.pdf", [
        ("text", ["Minutes of the design review, typed page one", "Attendees: Anna Lindqvist, Marco Rossi"]),
        ("scan", ["Handwritten annex: thermostat recall plan"]),
        ("text", ["Typed page three: actions and owners for the next release"]),
    ])
    report = run_json(home, "ingest", str(inbox))
    assert report["ocr"]["pages"] == 1
    (hit,) = hits(home, "thermostat recall")
    assert hit["page"] == 2
    rows = page_rows(home, hit["id"])
    assert [(n, source, ocr) for n, source, ocr, _ in rows] == [
        (1, "text", None), (2, "ocr", "done"), (3, "text", None)]
    assert rows[1][3] > 50
    shown = run_json(home, "show", str(hit["id"]))
    assert shown["text"].split("\f")[0].startswith("Minutes of the design review")


def test_born_digital_pdfs_are_never_ocred(home, inbox):
    write_pdf(inbox / "spec.pdf", ["Scope of the kettle", "Heating element tolerances"])
    report = run_json(home, "ingest", str(inbox))
    assert report["ocr"] is None
    assert [ocr for _, _, ocr, _ in page_rows(home, 1)] == [None, None]


def test_without_tesseract_scans_are_kept_as_needs_ocr_and_dms_ocr_finishes_them_later(home, inbox):
    write_png(inbox / "agreement.png", AGREEMENT)
    write_image_pdf(inbox / "signed.pdf", [["Contract signed by both parties"], ["Penalty clause for late delivery"]])
    report = run_json(home, "ingest", str(inbox), env=NO_TESSERACT)
    assert report["added"] == 2 and report["problems"] == []
    assert report["ocr"]["waiting"] == 3 and report["ocr"]["waiting_documents"] == 2
    assert "Tesseract is not installed" in report["ocr"]["why_waiting"]
    assert hits(home, "penalty") == []
    (by_name,) = hits(home, "signed")  # catalogued and found by name meanwhile
    shown = run_json(home, "show", str(by_name["id"]))
    assert shown["ocr"]["needs_ocr"] == [1, 2]
    assert "NEEDS OCR    page(s) 1, 2" in run_dms(home, "show", str(by_name["id"])).stdout
    waiting = run_json(home, "ocr", "--list")["documents"]
    assert sorted(len(d["pages"]) for d in waiting) == [1, 2]

    refused = run_dms(home, "ocr", env=NO_TESSERACT, check=False)
    assert refused.returncode == 2 and "Tesseract is not installed" in refused.stderr
    assert hits(home, "penalty") == []  # nothing changed

    done = run_json(home, "ocr")
    assert done["pages"] == 3 and done["documents"] == 2 and done["waiting"] == 0
    (hit,) = hits(home, "penalty")
    assert hit["page"] == 2
    assert run_json(home, "ocr", "--list")["documents"] == []
    assert run_dms(home, "verify").returncode == 0


def test_ocr_switched_off_leaves_pages_waiting_with_the_reason(home, inbox):
    write_png(inbox / "agreement.png", AGREEMENT)
    report = run_json(home, "ingest", str(inbox), env={"DMS_OCR": "0"})
    assert report["ocr"]["waiting"] == 1 and "DMS_OCR=0" in report["ocr"]["why_waiting"]
    assert run_json(home, "ocr")["pages"] == 1


def test_a_page_over_the_image_size_limit_is_a_problem_and_the_other_pages_are_indexed(home, inbox):
    write_tiff(inbox / "bundle.tiff", [["Oversized drawing sheet"], ["Inspection report for the lid hinge"]],
               sizes=[(4000, 3000), (1275, 1650)])
    report = run_json(home, "ingest", str(inbox), env={"DMS_OCR_MAX_MEGAPIXELS": "5"})
    assert report["ocr"]["pages"] == 1 and report["ocr"]["failed"] == 1
    (problem,) = report["problems"]
    assert problem["kind"] == "ocr" and problem["severity"] == "warning"
    assert "page 1 could not be OCRed" in problem["reason"] and "12.0 MP" in problem["reason"]
    assert "DMS_OCR_MAX_MEGAPIXELS" in problem["reason"]
    (hit,) = hits(home, '"inspection report"')
    assert hit["page"] == 2
    assert [ocr for _, _, ocr, _ in page_rows(home, hit["id"])] == ["failed", "done"]
    listed = run_json(home, "problems")
    assert any("page 1 could not be OCRed" in p["reason"] for p in listed["problems"])


def test_a_page_over_the_time_limit_fails_alone_and_a_retry_recovers_it(home, inbox):
    write_png(inbox / "agreement.png", AGREEMENT)
    report = run_json(home, "ingest", str(inbox), env={"DMS_OCR_PAGE_TIMEOUT": "0.001"})
    assert report["ocr"]["failed"] == 1 and report["added"] == 1
    assert "longer than the 0.001 s limit per page (DMS_OCR_PAGE_TIMEOUT)" in report["problems"][0]["reason"]
    assert run_json(home, "ocr")["pages"] == 0  # failed pages wait for an explicit retry
    retried = run_json(home, "ocr", "--retry-failed")
    assert retried["pages"] == 1 and retried["failed"] == 0
    assert hits(home, "hinge")[0]["page"] == 1
    assert not [p for p in run_json(home, "problems")["problems"] if p["kind"] == "ocr"]


def test_identical_scans_in_two_places_are_recognised_once(home, inbox):
    write_png(inbox / "agreement.png", AGREEMENT)
    (inbox / "copy").mkdir()
    write_png(inbox / "copy" / "agreement.png", AGREEMENT)
    report = run_json(home, "ingest", str(inbox))
    assert report["ocr"]["pages"] == 1 and report["duplicates"] == 1
    with sqlite3.connect(home / "catalog.sqlite") as db:
        texts = [t for (t,) in db.execute("SELECT text FROM pages")]
    assert len(texts) == 2 and all("hinge tolerance" in t for t in texts)


@pytest.mark.parametrize("languages", ["eng+xyz"])
def test_a_missing_language_pack_is_named_with_the_package_to_install(home, inbox, languages):
    write_png(inbox / "agreement.png", AGREEMENT)
    report = run_json(home, "ingest", str(inbox), env={"DMS_OCR_LANGUAGES": languages})
    assert report["ocr"]["waiting"] == 1
    assert "no language pack for xyz" in report["ocr"]["why_waiting"]
    assert "apt install tesseract-ocr-xyz" in report["ocr"]["why_waiting"]
    bad = run_dms(home, "ingest", str(inbox), env={"DMS_OCR_LANGUAGES": "eng;rm -rf"}, check=False)
    assert bad.returncode == 2 and "DMS_OCR_LANGUAGES" in bad.stderr
    assert json.loads(run_dms(home, "ocr", "--list", "--json").stdout)["documents"]


def test_an_uploaded_scan_is_searchable_and_its_page_says_it_was_read_by_ocr(client_for, tmp_path):
    from conftest import csrf_of

    png = write_png(tmp_path / "quince.png", ["Quince jam supplier letter", "about the lid hinge"])
    cora = client_for("cora")
    response = cora.post("/api/v1/documents", headers={"X-CSRF-Token": csrf_of(cora)},
                         files={"files": ("quince.png", png.read_bytes(), "image/png")})
    assert response.status_code in (200, 201), response.text
    deadline = time.monotonic() + 60  # the upload returns at once; the server's OCR queue reads the scan
    while not (hits := cora.get("/api/v1/search", params={"q": "quince jam"}).json()["hits"]):
        assert time.monotonic() < deadline, "the scan was not read by the OCR queue within 60 s"
        time.sleep(0.2)
    (hit,) = hits
    page = cora.get(f"/documents/{hit['id']}", params={"q": "quince"}).text
    assert "page(s) 1 read by OCR, mean confidence" in page
    assert "OCR text, " in page and "% confidence" in page and "<mark>Quince</mark>" in page


def test_icons_and_spacers_are_not_sent_to_ocr(tmp_path):
    from PIL import Image

    from dms.ingest.worker import Task, extract
    from dms.rules import load_rules

    icon = tmp_path / "logo.png"
    Image.new("L", (24, 24), 255).save(icon)
    ex = extract(Task(blob=icon, path=str(icon), size=icon.stat().st_size, max_bytes=10**6), load_rules())
    assert ex.status == "ok" and ex.ocr_pages == () and "too small to hold text" in ex.meta["ocr"]
    assert ex.problems == ()


def test_the_web_shows_what_waits_for_ocr_on_the_start_and_document_pages(tmp_path, inbox):
    from conftest import password_of
    from fastapi.testclient import TestClient

    from dms import users
    from dms.app import Dms
    from dms.config import load_settings
    from dms.ingest.pipeline import ingest
    from dms.web import create_app

    settings = load_settings(environ=NO_TESSERACT, home=tmp_path / "home")
    write_png(inbox / "agreement.png", AGREEMENT)
    with Dms(settings) as archive:
        report = ingest(archive, [inbox])
        users.add(archive.catalog, "vera", "admin", password_of("vera"), by="vera")
    assert report.ocr["waiting"] == 1
    with TestClient(create_app(settings), follow_redirects=False) as client:
        client.post("/sign-in", data={"name": "vera", "password": password_of("vera"), "next": "/"})
        start = client.get("/").text
        assert "1</b> scanned page(s) in 1 document(s) wait for OCR" in start
        page = client.get("/documents/1").text
        assert "needs OCR: page(s) 1" in page and "OCR failed" not in page


def test_a_tesseract_that_does_not_work_is_named_and_the_scan_waits(home, inbox, tmp_path):
    broken = tmp_path / "tesseract"
    broken.write_text("#!/bin/sh\necho 'error while loading shared libraries: libtesseract.so.5' >&2\nexit 127\n")
    broken.chmod(0o755)
    write_png(inbox / "agreement.png", AGREEMENT)
    report = run_json(home, "ingest", str(inbox), env={"DMS_TESSERACT": str(broken)})
    assert report["ocr"]["waiting"] == 1 and report["problems"] == []
    assert "does not work" in report["ocr"]["why_waiting"] and "libtesseract.so.5" in report["ocr"]["why_waiting"]
    assert run_json(home, "ocr")["pages"] == 1  # the real one, on PATH


def test_a_page_scanned_upside_down_or_sideways_is_turned_and_read(home, inbox):
    from writers_scan import page_image

    lines = ["Supplier quality agreement for the kettle", "The lid hinge tolerance is 0.2 mm.",
             "Returns are credited within 21 days.", "Signed by both parties in Hamburg."]
    page_image(lines).rotate(180).save(inbox / "upside-down.png", dpi=(150, 150))
    page_image(lines).rotate(90, expand=True).save(inbox / "sideways.png", dpi=(150, 150))
    report = run_json(home, "ingest", str(inbox))
    assert report["ocr"]["pages"] == 2 and report["ocr"]["confidence"] > 80
    found = {h["path"].rsplit("/", 1)[1] for h in hits(home, '"credited within 21 days"')}
    assert found == {"upside-down.png", "sideways.png"}
