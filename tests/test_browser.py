"""What a person does in the browser: Playwright drives Debian's Chromium against `dms serve` (a real uvicorn
server on 127.0.0.1) over the sample archive. Screenshots of the main pages go to test-output/screenshots/."""

from __future__ import annotations

import hashlib
import time

import pytest
from browsing import Server, shot
from conftest import make_web_home, write_pdf

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dms serve` in its own process, on a free port, until the module's tests are done."""
    served = Server(make_web_home(tmp_path_factory.mktemp("browser") / "home"))
    yield served.base
    served.stop()


@pytest.fixture
def signed_in(pages, server):
    """signed_in("cora") -> a page of a fresh browser context, signed in through the sign-in form.
    Console errors (a Content-Security-Policy violation among them) fail the test."""
    return lambda name: pages.signed_in(server, name, accept_downloads=True)


def _total(page) -> int:
    return int(page.inner_text("p.summary").split(" ", 1)[0].replace(",", ""))


def test_sign_in_search_refine_by_a_facet_open_a_document_and_download_it(signed_in, tmp_path):
    page = signed_in("vera")
    shot(page, "dashboard")
    page.fill("header input[name=q]", "lid")
    page.press("header input[name=q]", "Enter")
    page.wait_for_selector("ol.hits li")
    everything = _total(page)
    shot(page, "search")
    page.click("a.facet >> text=minutes")
    page.wait_for_url("**type%3Aminutes**")
    assert 0 < _total(page) < everything
    page.click("ol.hits li a.title >> nth=0")
    page.wait_for_selector("#sha256")
    sha = page.inner_text("#sha256")
    assert page.locator("article.page mark").count() > 0  # the query's hits are marked in the text
    shot(page, "document")
    with page.expect_download() as download:
        page.click("text=Download original")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == sha


def test_follow_a_trace_and_see_the_graph(signed_in, server):
    page = signed_in("vera")
    page.goto(server + "/changes/CR-2023-003")
    page.click("text=Trace")
    page.wait_for_selector("ol.trace li")
    assert page.locator("ol.trace > li").count() >= 3
    assert page.locator("ul.chain .evidence").count() > 0
    shot(page, "trace")
    first_title = page.inner_text("ol.trace > li >> nth=0 >> a >> nth=0")
    page.click("ol.trace > li >> nth=0 >> a >> nth=0")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == first_title
    page.goto(server + "/graph?ref=CR-2023-003")
    page.wait_for_selector("#graph[data-ready=yes] canvas")  # Cytoscape drew it, within the page's CSP
    shot(page, "graph")
    page.goto(server + "/products/VL310")
    assert page.locator("section.retro svg").count() == 3  # server-drawn charts, no script needed
    shot(page, "product")


def test_a_change_request_from_submission_to_approval_with_two_users(signed_in, server):
    cora = signed_in("cora")
    cora.goto(server + "/changes/new")
    cora.fill("input[name=title]", "Thicker lid seal for KX200")
    cora.fill("input[name=products]", "KX200")
    cora.fill("input[name=affected]", "SPEC-KX200-02")
    cora.fill("textarea[name=description]", "The seal leaks after 2,000 cycles.")
    cora.click("text=Open as draft")
    cora.wait_for_selector("#cr-state")
    number = cora.url.rsplit("/", 1)[1]
    for action, reached in (("submit", "submitted"), ("review", "under review")):
        cora.click(f"form[data-action={action}] button")
        cora.wait_for_selector(f"#cr-state >> text={reached}")
    assert cora.locator("form[data-action=assess]").count() == 0  # nobody assesses their own request
    ada = signed_in("ada")
    ada.goto(f"{server}/changes/{number}")
    assess = ada.locator("form[data-action=assess]")
    assess.locator("textarea[name=relevance]").fill("Leaks cause most KX200 returns.")
    assess.locator("textarea[name=risks]").fill("supplier delay:2:3")
    assess.locator("textarea[name=benefits]").fill("Fewer returns")
    assess.locator("input[name=cost_once]").fill("4500")
    assess.locator("input[name=cost_recurring]").fill("0.12")
    assess.locator("input[name=schedule_impact]").fill("3 weeks")
    assess.locator("button").click()
    ada.wait_for_selector("#cr-state >> text=assessed")
    cora.reload()
    assert cora.locator("form[data-action=decide]").count() == 0  # a coordinator is not offered the decision
    mona = signed_in("mona")
    mona.goto(f"{server}/changes/{number}")
    decide = mona.locator("form[data-action=decide]")
    decide.locator("select[name=outcome]").select_option("approved")
    decide.locator("textarea[name=rationale]").fill("Cheap and it stops the leaks.")
    decide.locator("button").click()
    mona.wait_for_selector("#cr-state >> text=decided")
    assert mona.inner_text(".decision") == "approved"
    history = mona.inner_text("ol.history")
    assert "cora" in history and "mona" in history and "assessed → decided" in history
    shot(mona, "change-request")
    cora.reload()
    assert cora.inner_text("#cr-state") == "decided"


def test_upload_a_file_and_find_it_by_a_word_inside_it(signed_in, tmp_path):
    page = signed_in("cora")
    pdf = write_pdf(tmp_path / "gasket-offer.pdf", ["Offer for the xylophonic gasket, valid until June."])
    page.click("nav >> text=Upload")
    page.set_input_files("input[type=file]", str(pdf))
    page.click("text=Upload and ingest")
    page.wait_for_selector("table.upload-result")
    assert "gasket-offer.pdf" in page.inner_text("table.upload-result")
    shot(page, "upload")
    page.fill("header input[name=q]", "xylophonic")
    page.press("header input[name=q]", "Enter")
    page.wait_for_selector("ol.hits li")
    assert _total(page) == 1
    assert "gasket-offer.pdf" in page.inner_text("ol.hits li .path")
    assert "xylophonic" in page.inner_text("ol.hits li mark").lower()


@pytest.mark.ocr
def test_a_scan_uploaded_as_a_tiff_is_read_by_ocr_and_says_so(signed_in, tmp_path):
    from writers_scan import write_tiff

    page = signed_in("cora")
    scan = write_tiff(tmp_path / "fax-quarantine.tiff", [["Fax from the harbour agent"],
                                                           ["The kettles are held in quarantine at the port"]])
    page.click("nav >> text=Upload")
    page.set_input_files("input[type=file]", str(scan))
    page.click("text=Upload and ingest")
    page.wait_for_selector("table.upload-result")
    assert "queued for OCR" in page.inner_text("table.upload-result")  # the upload did not wait for OCR
    deadline = time.monotonic() + 60  # the server's OCR queue reads the scan meanwhile
    while True:
        page.fill("header input[name=q]", "quarantine")
        page.press("header input[name=q]", "Enter")
        page.wait_for_load_state()
        if page.locator("ol.hits li").count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    page.wait_for_selector("ol.hits li")
    assert _total(page) == 1 and page.inner_text("ol.hits li .page").split()[-1].endswith("2")
    page.click("ol.hits li a.title")
    page.wait_for_selector("#ocr")
    assert "page(s) 1, 2 read by OCR, mean confidence" in page.inner_text("#ocr")
    assert "OCR text" in page.inner_text("#p2 header") and "quarantine" in page.inner_text("#p2 mark").lower()
    rows = [line.split("\t") for line in page.inner_text("details.audit table").splitlines()[1:]]
    assert [(row[2], row[3]) for row in rows] == [("cora", "ingest"), ("cora", "ocr")]  # the uploader is named
    shot(page, "scan-document")


def test_the_api_docs_render_from_local_files(signed_in, server):
    page = signed_in("vera")
    page.goto(server + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".opblock").count() >= 20
    shot(page, "api-docs")


def test_a_stale_page_shows_a_clear_error_and_changes_nothing(signed_in, server):
    page = signed_in("cora")
    page.goto(server + "/changes/new")
    page.fill("input[name=title]", "Stale check")
    page.click("text=Open as draft")
    page.wait_for_selector("#cr-state")
    url = page.url
    other = signed_in("cora")
    other.goto(url)
    other.click("form[data-action=submit] button")
    other.wait_for_selector("#cr-state >> text=submitted")
    page.click("form[data-action=submit] button")  # the first page still shows the draft's form
    assert page.locator("[role=alert]").count() == 1
    assert "submitted" in page.inner_text("[role=alert]")
    shot(page, "error")
    page.goto(url)
    assert page.inner_text("#cr-state") == "submitted"
