"""Reaching everything in the browser: Playwright drives Debian's Chromium against `dms serve` (a real uvicorn
server on 127.0.0.1) over the sample archive. The Products index from the navigation, the archive's change
requests listed by default, a refused form put right without losing what was typed, what waits for a
coordinator, a pinned view, and the navigation on the error page and the assessment report.
Screenshots go to test-output/screenshots/reach-*.png."""

from __future__ import annotations

import browsing
import pytest
from browsing import Server
from conftest import make_web_home

from dms import changes, views
from dms.app import Dms
from dms.config import load_settings

ASSESSED = dict(relevance="medium", risks=["glare:1:2"], benefits="visible", cost_once=300, cost_recurring=0,
                schedule_impact="none")
DEFERRED = {"outcome": "deferred", "rationale": "after the summer range"}
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`dms serve` in its own process over its own data directory: (base URL, data directory)."""
    home = make_web_home(tmp_path_factory.mktemp("reach-browser") / "home")
    server = Server(home)
    yield server.base, home
    server.stop()


@pytest.fixture(scope="module")
def server(served):
    return served[0]


@pytest.fixture
def signed_in(pages, server):
    """signed_in("cora") -> a page of a fresh browser context, signed in through the sign-in form.
    Console errors (a Content-Security-Policy violation among them) fail the test."""
    return lambda name: pages.signed_in(server, name)


def shot(page, name: str) -> None:
    browsing.shot(page, f"reach-{name}")


def test_products_are_reached_from_the_navigation_and_the_start_page(signed_in, server):
    page = signed_in("vera")
    page.click("header nav >> text=Products")
    page.wait_for_url(server + "/products")
    assert page.locator("article.product-card").count() == 3
    assert "sold" in page.inner_text("#product-KX200 .figures")
    shot(page, "products")
    page.click("#product-KX200 h2 a")
    page.wait_for_url(server + "/products/KX200")
    assert page.locator("section.retro svg").count() == 3  # the product's retrospective
    page.goto(server + "/")
    page.click("#products-card >> text=VL310")
    page.wait_for_url(server + "/products/VL310")


def test_the_archives_requests_are_listed_by_default_and_open_with_their_documents(signed_in, server):
    page = signed_in("vera")
    assert "15 on file" in page.inner_text("#requests-card")
    page.click("header nav >> text=Change requests")
    page.wait_for_url(server + "/changes")
    assert page.locator("tr.on-file").count() == 15
    page.click("tr.on-file >> text=CR-2023-003")
    page.wait_for_selector("#decided-in a")
    assert page.locator("#amended-by a").count() == 1
    page.click("#decided-in a >> nth=0")
    page.wait_for_selector("h1")
    assert "/documents/" in page.url


def test_a_refused_request_is_put_right_without_typing_it_again(signed_in, server):
    page = signed_in("cora")
    page.goto(server + "/changes/new")
    page.fill("input[name=title]", "Softer switch for VL310")
    page.fill("input[name=products]", "VL310")
    page.fill("textarea[name=description]", "The switch is too stiff for older customers.")
    page.fill("input[name=attachments]", "SPEC-NOPE-99")
    page.click("text=Open as draft")
    page.wait_for_selector(".form-error")
    assert "SPEC-NOPE-99" in page.inner_text(".form-error")
    assert page.input_value("textarea[name=description]") == "The switch is too stiff for older customers."
    assert page.input_value("input[name=title]") == "Softer switch for VL310"
    assert page.locator("header nav").count() == 1
    shot(page, "refused-form")
    page.fill("input[name=attachments]", "SPEC-VL310-02 Rev B")
    page.click("text=Open as draft")
    page.wait_for_selector("#cr-state >> text=draft")
    assert "Softer switch for VL310" in page.inner_text("h1")
    assert "SPEC-VL310-02_RevB" in page.inner_text("section")  # the attachment, as corrected


def test_a_submitted_request_waits_for_the_coordinator_who_reviews_it_from_the_start_page(signed_in, server):
    vera = signed_in("vera")
    vera.goto(server + "/changes/new")
    vera.fill("input[name=title]", "Longer power cord for AQ150")
    vera.click("text=Open as draft")
    vera.wait_for_selector("#cr-state")
    number = vera.url.rsplit("/", 1)[1]
    vera.click("form[data-action=submit] button")
    vera.wait_for_selector("#cr-state >> text=submitted")
    vera.goto(server + "/")
    assert number in vera.inner_text("#my-requests")
    cora = signed_in("cora")
    panel = cora.locator('ul[data-panel="review"]')
    assert number in panel.inner_text()
    shot(cora, "waiting-for-me")
    panel.locator(f"text={number}").click()
    cora.wait_for_url(f"{server}/changes/{number}")
    cora.click("form[data-action=review] button")
    cora.wait_for_selector("#cr-state >> text=under review")
    cora.goto(server + "/")
    assert number in cora.locator('ul[data-panel="review"]').inner_text()  # now to be assessed
    cora.click(f'ul[data-panel="review"] >> text={number}')
    cora.wait_for_selector("form[data-action=assess]")
    cora.click("a#report-link")
    cora.wait_for_selector("article.report h1")
    assert number in cora.inner_text("article.report h1")
    assert cora.locator("header nav").count() == 1  # the report keeps the navigation
    shot(cora, "report")


def test_a_decided_requests_page_shows_its_notice_and_opens_it_as_filed(signed_in, served):
    server, home = served
    with Dms(load_settings(environ={}, home=home)) as app:
        number = changes.create(app, "Brighter status lamp", "cora", products=["VL310"]).number
        for action, who, params in (("submit", "cora", {}), ("review", "cora", {}),
                                    ("assess", "ada", ASSESSED), ("decide", "mona", DEFERRED)):
            changes.transition(app, number, action, who, **params)
    page = signed_in("cora")
    page.goto(f"{server}/changes/{number}")
    notice = page.locator("article.notice")
    assert notice.count() == 1 and "Rationale: after the summer range" in notice.inner_text()
    assert "delivered" in notice.inner_text()
    shot(page, "request-with-notice")
    notice.locator("h3 a").click()
    page.wait_for_selector("h1")
    assert "/documents/" in page.url and f"Decision on change request {number}" in page.inner_text("h1")
    page.goto(server + "/")
    assert number in page.locator('ul[data-panel="release"]').inner_text()  # a deferred request to close


def test_a_pinned_view_opens_from_the_start_page(signed_in, served):
    server, home = served
    with Dms(load_settings(environ={}, home=home)) as app:
        views.save(app.catalog, "mona", "KX200 minutes", "q=lid&f=type:minutes&f=product:KX200", pin=True)
    page = signed_in("mona")
    page.click("#pinned-views >> text=KX200 minutes")
    page.wait_for_url("**/search?**")
    assert "q=lid" in page.url
    assert page.locator("ol.hits li").count() > 0


def test_the_forbidden_page_keeps_the_navigation_and_the_way_back(signed_in, server):
    page = signed_in("vera")
    page.goto(server + "/changes")
    page.evaluate("window.location.href = '/users'")  # followed from a page of dms: the Referer is sent
    page.wait_for_selector("h1 >> text=Not allowed")
    assert page.locator("header nav").count() == 1
    shot(page, "forbidden")
    page.click("#back")
    page.wait_for_url(server + "/changes")
    page.goto(server + "/no-such-page")
    page.click("header nav >> text=Products")
    page.wait_for_url(server + "/products")
