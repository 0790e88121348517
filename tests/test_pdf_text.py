"""PDF text from PDFium, with pypdf where it serves: on real PDFs written here (fpdf2, pypdf's encryption,
Pillow's image PDFs, hand-written content streams), and on the PDFs of the committed sample archive, which
PDFium must read to the same text, OCR pages, title and metadata as pypdf did before."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO, one_page_pdf, run_json, write_encrypted_pdf, write_pdf
from writers_scan import write_image_pdf, write_mixed_pdf

from dms.ingest.extractors import pdftext
from dms.ingest.extractors.pdf import MIN_TEXT_CHARS, PdfExtractor, pypdf_only
from dms.ingest.registry import ExtractionFailed
from dms.ingest.worker import Task, extract
from dms.rules import load_rules

RULES = load_rules()
TYPED = "The heating element of the kettle is rated at 2000 watts; the lid hinge pin is stainless steel."
REPEATS = 12  # times one word is drawn over itself on the fallback test's page


def run(path: Path):
    return extract(Task(blob=path, path=str(path), size=path.stat().st_size, max_bytes=10**9), RULES)


def read_by_pdfium_alone(path: Path) -> list[str] | None:
    with pdftext.opened(path) as document:
        return None if document is None else [pdftext.page_text(document, i) for i in range(len(document))]


def test_text_is_read_by_pdfium_page_by_page_with_the_embedded_title(tmp_path):
    pdf = write_pdf(tmp_path / "spec.pdf", ["Scope of the kettle", "Heating element tolerances", TYPED],
                    title="Kettle spec")
    ex = run(pdf)
    assert ex.status == "ok" and ex.kind == "pdf" and ex.title == "Kettle spec"
    assert list(ex.pages) == read_by_pdfium_alone(pdf) == ["Scope of the kettle", "Heating element tolerances", TYPED]
    assert ex.ocr_pages == () and ex.problems == ()


def test_line_ends_and_hyphens_joined_across_lines_are_written_as_pypdf_wrote_them(tmp_path):
    pdf = write_pdf(tmp_path / "spec.pdf", ["The heating ele-\nment is rated at 2000 watts.\nSecond line"])
    (page,) = run(pdf).pages
    assert page == "The heating ele-\nment is rated at 2000 watts.\nSecond line"
    assert page == pypdf_only(pdf).pages[0]


def test_a_pdf_with_an_empty_user_password_is_read_by_pdfium(tmp_path):
    pdf = write_encrypted_pdf(tmp_path / "aes.pdf", "Distribution agreement terms", password="", algorithm="AES-256")
    assert read_by_pdfium_alone(pdf) == ["Distribution agreement terms"]
    ex = run(pdf)
    assert ex.status == "ok" and ex.pages == ("Distribution agreement terms",)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_password_protected_pdf_is_reported_as_encrypted_by_pypdf(tmp_path, algorithm):
    pdf = write_encrypted_pdf(tmp_path / "locked.pdf", "salary bands", password="secret", algorithm=algorithm)
    assert read_by_pdfium_alone(pdf) is None  # PDFium cannot open it: pypdf reads it, as before
    ex = run(pdf)
    assert ex.status == "failed" and [(p.kind, p.reason) for p in ex.problems] == [
        ("encrypted", "PDF is password-protected: its text cannot be read without the password")]


def test_a_damaged_pdf_that_pdfium_cannot_open_is_repaired_and_read_by_pypdf(tmp_path):
    good = write_pdf(tmp_path / "good.pdf", [TYPED], title="Kettle spec").read_bytes()
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(good.replace(b"/Root", b"/Xoot"))  # a trailer without its catalog
    assert read_by_pdfium_alone(damaged) is None
    ex = run(damaged)
    assert ex.status == "ok" and ex.pages == (TYPED,) and ex.title == "Kettle spec"


def test_a_damaged_pdf_that_pypdf_cannot_open_is_read_by_pdfium(tmp_path):
    good = write_pdf(tmp_path / "good.pdf", [TYPED]).read_bytes()
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(good[: good.rindex(b"startxref")])  # no startxref, no %%EOF
    with pytest.raises(ExtractionFailed):
        pypdf_only(damaged)
    ex = run(damaged)
    assert ex.status == "ok" and ex.pages == (TYPED,) and ex.title == "damaged.pdf"  # no metadata: the file name


def test_a_truncated_pdf_is_reported_as_damaged(tmp_path):
    good = write_pdf(tmp_path / "good.pdf", [TYPED, TYPED]).read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(good[: len(good) // 3])
    ex = run(broken)
    assert ex.status == "failed" and ex.problems[0].kind == "malformed" and "damaged" in ex.problems[0].reason


def test_pages_without_a_text_layer_are_marked_for_ocr(tmp_path):
    scan = write_image_pdf(tmp_path / "signed.pdf", [["Contract signed by both parties"], ["Penalty clause"]])
    ex = run(scan)
    assert ex.status == "ok" and ex.pages == ("", "") and ex.ocr_pages == (1, 2)
    assert ex.problems == ()


def test_only_the_image_pages_of_a_mixed_pdf_are_marked_for_ocr_and_a_blank_page_is_not(tmp_path):
    mixed = write_mixed_pdf(tmp_path / "minutes.pdf", [
        ("text", ["Minutes of the design review, typed page one", "Attendees: Anna Lindqvist, Marco Rossi"]),
        ("scan", ["Handwritten annex: thermostat recall plan"]),
        ("text", []),  # a blank page draws no image: nothing to OCR
        ("text", ["Typed page four: actions and owners for the next release"]),
    ])
    ex = run(mixed)
    assert ex.ocr_pages == (2,) == tuple(pypdf_only(mixed).ocr_pages)
    assert ex.pages[0].startswith("Minutes of the design review") and ex.pages[2] == ""


def test_a_page_where_pdfium_reads_far_fewer_letters_keeps_pypdfs_reading(tmp_path):
    # PDFium drops characters drawn exactly over the same characters (as for fake bold); pypdf keeps each one
    drawn = b"BT /F1 12 Tf 72 700 Td " + b"(gasket ) Tj 0 0 Td " * REPEATS + b"ET"
    pdf = one_page_pdf(tmp_path / "overdrawn.pdf", drawn)
    (alone,) = read_by_pdfium_alone(pdf)
    assert alone.split() == ["gasket"]  # short: under MIN_TEXT_CHARS letters, so pypdf reads the page too
    assert len(alone) < MIN_TEXT_CHARS
    (page,) = run(pdf).pages
    assert page.split() == ["gasket"] * REPEATS


def test_the_sample_archives_pdfs_read_the_same_as_with_pypdf_alone():
    pdfs = sorted((REPO / "archive").rglob("*.pdf"))
    assert len(pdfs) >= 10
    read = 0
    for pdf in pdfs:
        try:
            before = pypdf_only(pdf)
        except ExtractionFailed as exc:
            with pytest.raises(ExtractionFailed) as now:
                PdfExtractor().extract(pdf)
            assert (now.value.kind, now.value.reason) == (exc.kind, exc.reason), pdf
            continue
        now = PdfExtractor().extract(pdf)
        assert now.pages == before.pages, pdf
        assert read_by_pdfium_alone(pdf) == before.pages, pdf  # PDFium's own reading, not a fallback
        assert (now.ocr_pages, now.title, now.meta) == (before.ocr_pages, before.title, before.meta), pdf
        assert [w.reason for w in now.warnings] == [w.reason for w in before.warnings], pdf
        read += 1
    assert read >= len(pdfs) - 2  # the archive's protected and damaged PDFs fail alike


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="open files are counted in /proc/self/fd")
def test_pdfium_leaves_no_file_open_after_reading(tmp_path):
    pdf = write_pdf(tmp_path / "spec.pdf", [TYPED] * 3)
    scan = write_image_pdf(tmp_path / "scan.pdf", [["Penalty clause"]])
    PdfExtractor().extract(pdf)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        PdfExtractor().extract(pdf)
        PdfExtractor().extract(scan)
    assert len(os.listdir("/proc/self/fd")) == before


def test_an_image_only_pdf_goes_to_the_ocr_queue_at_ingest(home, inbox):
    write_image_pdf(inbox / "signed.pdf", [["Contract signed by both parties"], ["Penalty clause for late delivery"]])
    write_pdf(inbox / "spec.pdf", ["Scope of the kettle", "Heating element tolerances"])
    report = run_json(home, "ingest", str(inbox), env={"DMS_OCR": "0"})
    assert report["added"] == 2 and report["problems"] == []
    assert report["ocr"]["waiting"] == 2 and report["ocr"]["waiting_documents"] == 1
    (waiting,) = run_json(home, "ocr", "--list")["documents"]
    assert waiting["pages"] == [1, 2] and waiting["path"].endswith("signed.pdf")
