"""See the original, as a person does: Playwright drives Debian's Chromium against `dms serve` over the
sample archive. The viewer shows a PDF with PDF.js (served locally), a TIFF scan as page images, a DOCX,
an e-mail, a workbook and a deck as sanitised HTML, and marks a search's hits on a scanned page. Any console
error (a Content-Security-Policy violation among them) fails the test."""

from __future__ import annotations

import pytest
from browsing import Server, shot
from conftest import make_web_home

from dms.app import Dms
from dms.config import load_settings

NAMES = {
    "pdf": "KX200/contracts/CTR-2022-001_Brightwater.pdf",
    "scan_pdf": "KX200/contracts/signed-agreement-scan_Brightwater_2022-02-18.pdf",
    "tiff": "VL310/correspondence/fax-CasaNova-2023-06-02.tiff",
    "docx": "KX200/specifications/SPEC-KX200-02_RevC.docx",
    "eml": "VL310/correspondence/2023-03-21_Polaris_1.eml",
    "xlsx": "VL310/reports/annual-sales-VL310-2023.xlsx",
    "pptx": "VL310/plans/PLAN-VL310-2022.pptx",
}
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """(base URL, {name: document id}) of `dms serve` over the sample archive, in its own process."""
    home = make_web_home(tmp_path_factory.mktemp("preview") / "home")
    with Dms(load_settings(environ={}, home=home)) as app:
        ids = {}
        for key, tail in NAMES.items():
            (doc,) = [d for d in app.catalog.all_documents() if d.path.endswith("/archive/" + tail)]
            ids[key] = doc.id
    served = Server(home)
    yield served.base, ids
    served.stop()


@pytest.fixture
def viewer(pages, archive):
    """viewer(key, q="") -> a signed-in page showing that document, once its viewer is ready.
    Console errors (a Content-Security-Policy violation among them) fail the test."""
    base, ids = archive

    def open_doc(key: str, q: str = "", path: str = ""):
        page = pages.signed_in(base, "vera")
        page.goto(f"{base}/documents/{ids[key]}{path}" + (f"?q={q}" if q else ""))
        page.wait_for_selector("#viewer[data-state=ready]", timeout=60_000)
        return page

    return open_doc


def _ink(page, selector: str) -> int:
    """Dark pixels drawn on the first canvas matching selector (a blank canvas has none)."""
    return page.eval_on_selector(selector, """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] < 100) n++; return n; }""")


def test_a_pdf_is_shown_by_pdfjs_served_locally(viewer):
    page = viewer("pdf")
    assert page.get_attribute("#viewer", "data-mode") == "pdf"
    page.wait_for_selector(".viewer-page[data-page='1'][data-rendered] canvas")
    assert _ink(page, ".viewer-page[data-page='1'] canvas") > 500  # the text is drawn, not a blank canvas
    assert page.locator(".viewer-page").count() == 3
    assert "PDF, 3 page(s)" in page.inner_text(".viewer-status")
    thumb = page.eval_on_selector("img.doc-thumb", "i => [i.complete, i.naturalWidth]")
    assert thumb == [True, 160]
    shot(page, "preview-pdf")


def test_a_tiff_scan_is_shown_as_page_images(viewer):
    page = viewer("tiff")
    assert page.get_attribute("#viewer", "data-mode") == "images"
    page.wait_for_selector(".viewer-page[data-page='1'][data-rendered] img")
    width = page.eval_on_selector(".viewer-page[data-page='1'] img", "i => i.naturalWidth")
    assert width > 500
    shot(page, "preview-tiff")


def test_a_docx_is_shown_as_html(viewer):
    page = viewer("docx")
    assert page.get_attribute("#viewer", "data-mode") == "html"
    text = page.inner_text(".viewer-html")
    assert "Kettle KX200 Electrical Specification" in text and "Revision: C" in text
    assert page.locator(".viewer-html script, .viewer-html style, .viewer-html [onclick]").count() == 0
    shot(page, "preview-docx")


@pytest.mark.parametrize(("key", "expected"), [
    ("eml", "Quotation for Vacuum cleaner VL310 parts"), ("xlsx", "RPT-VL310-2023-12"),
    ("pptx", "Slide 1: Vacuum cleaner VL310 lifecycle plan")])
def test_mail_workbooks_and_decks_are_shown_as_html(viewer, key, expected):
    page = viewer(key)
    assert page.get_attribute("#viewer", "data-mode") == "html"
    assert expected in page.inner_text(".viewer-html")


def _hits_inside_the_page(page, n: int) -> list[dict]:
    page.wait_for_selector(f".viewer-page[data-page='{n}'] .viewer-hit", timeout=90_000)
    return page.eval_on_selector_all(f".viewer-page[data-page='{n}'] .viewer-hit", """(marks) => marks.map(m => {
        const r = m.getBoundingClientRect(), p = m.parentElement.getBoundingClientRect();
        return {inside: r.left >= p.left && r.right <= p.right && r.top >= p.top && r.bottom <= p.bottom,
                width: r.width, height: r.height, top: (r.top - p.top) / p.height}; })""")


def test_a_hit_is_marked_on_a_scanned_page_image(viewer):
    page = viewer("tiff", q="thermostat")
    marks = _hits_inside_the_page(page, 1)
    assert len(marks) == 1 and marks[0]["inside"] and marks[0]["width"] > 20 and marks[0]["height"] > 5
    assert page.locator("article.page mark").count() >= 1  # the text view marks it too
    shot(page, "preview-hit-tiff")


def test_a_phrase_is_marked_on_the_signed_scan_where_ocr_read_it(viewer):
    page = viewer("scan_pdf", q="%22credited+within+21+days%22")
    marks = _hits_inside_the_page(page, 1)
    assert len(marks) == 4 and all(m["inside"] for m in marks)
    assert max(m["top"] for m in marks) - min(m["top"] for m in marks) < 0.02  # one line: the handwritten amendment
    shot(page, "preview-hit-scan")


def test_the_wide_viewer_page_marks_hits_on_a_born_digital_pdf(viewer):
    page = viewer("pdf", q="lid", path="/view")
    for n in (1, 2, 3):  # pages are drawn as they scroll into view
        page.locator(f".viewer-page[data-page='{n}']").scroll_into_view_if_needed()
        page.wait_for_selector(f".viewer-page[data-page='{n}'][data-rendered]", timeout=60_000)
    page.wait_for_selector("#viewer[data-first-hit]", state="attached", timeout=90_000)
    n = int(page.get_attribute("#viewer", "data-first-hit"))
    marks = _hits_inside_the_page(page, n)
    assert marks and all(m["inside"] and m["width"] > 3 for m in marks)
    assert page.locator(".viewer-page").count() == 3  # every page, read from the text layer (no OCR needed)
