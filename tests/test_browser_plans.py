"""The plan page in a real browser: Playwright drives Debian's Chromium against `dms serve` over a copy of the
sample archive with supply tables ingested and a plan imported (see test_web_plans). Screenshots at 1280 and 390
px go to test-output/screenshots/. A console error (a Content-Security-Policy violation among them) fails."""

from __future__ import annotations

import pytest
from browsing import Server, shot
from test_web_plans import NUMBER, day, prepare_home, the_plan, workbook

from dms.app import Dms
from dms.config import load_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dms.plans.library import import_plan

    home = prepare_home(tmp_path_factory.mktemp("browserplans") / "home")
    with Dms(load_settings(environ={}, home=home)) as app:
        import_plan(app, workbook(home.parent / "plan.xlsx", the_plan()), by="cora")
    served = Server(home)
    yield served.base
    served.stop()


@pytest.fixture
def signed_in(pages, server):
    """signed_in("cora", width) -> a page of a fresh browser context that wide, signed in through the form.
    Console errors (a Content-Security-Policy violation among them) fail the test; a refused form's 4xx does not."""
    return lambda name, width=1280: pages.signed_in(server, name, {"width": width, "height": 900})


def _page_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: nothing sticks out sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_plan_page_at_1280_shows_the_timeline_and_a_milestone_link_leads_to_its_findings(signed_in, server):
    page = signed_in("cora")
    page.goto(f"{server}/plans/{NUMBER}")
    timeline = page.locator(".gantt svg")
    assert timeline.is_visible()
    box = timeline.bounding_box()
    assert box["width"] > 900 and box["height"] > 100
    assert page.locator(".gantt").evaluate("e => e.scrollWidth <= e.clientWidth")  # wide enough: no scrolling
    assert "✕ blocked" in page.inner_text("#plan-readiness")
    legend = page.inner_text(".gantt-legend")
    for word in ("ready", "at risk", "blocked", "as-of date"):
        assert word in legend
    assert page.locator("#order-draft-form button").is_visible()  # cora is a coordinator
    shot(page, "plan-page-1280")
    page.locator('.gantt a[href="#ms-M2"]').click()
    assert page.url.endswith("#ms-M2")
    section = page.locator("#ms-M2")
    assert section.is_visible() and "shortage" in section.inner_text()
    assert section.locator(".evidence-list a").count() >= 2  # the stock row and the order line


def test_the_plan_page_at_390_scrolls_the_timeline_in_its_box_not_the_page(signed_in, server):
    page = signed_in("vera", 390)
    page.goto(f"{server}/plans/{NUMBER}")
    assert _page_overflow(page) <= 0
    gantt = page.locator(".gantt")
    assert gantt.evaluate("e => e.scrollWidth > e.clientWidth")  # the drawing scrolls inside its box
    assert gantt.bounding_box()["width"] <= 390
    assert page.locator("#order-draft-form").count() == 0  # vera is a viewer
    gantt.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    assert gantt.evaluate("e => e.scrollLeft") > 0
    assert _page_overflow(page) <= 0
    shot(page, "plan-page-390")


def test_checking_as_of_a_later_day_through_the_form(signed_in, server):
    page = signed_in("vera")
    page.goto(f"{server}/plans/{NUMBER}")
    page.fill("#as-of-form input[name=as_of]", day(100).isoformat())
    page.click("#as-of-form button")
    page.wait_for_url(f"**/plans/{NUMBER}?as_of={day(100).isoformat()}")
    assert day(100).isoformat() in page.inner_text("#plan-readiness")
    assert "deliverable missing" in page.inner_text("#ms-M3")


def test_a_refused_edit_at_390_shows_the_problem_beside_the_form_and_keeps_the_typed_date(signed_in, server):
    page = signed_in("cora", 390)
    page.goto(f"{server}/plans/{NUMBER}/edit")
    assert _page_overflow(page) <= 0
    due = page.locator('input[aria-label="Milestones row 3: Date"]')
    due.fill("2031-02-30")
    page.click("#plan-form > button")
    alert = page.locator("#plan-refused")
    assert alert.is_visible()
    assert "sheet Milestones, row 3, column Date" in " ".join(alert.inner_text().split())
    assert page.locator('input[aria-label="Milestones row 3: Date"]').input_value() == "2031-02-30"
    assert page.locator('input[aria-label="Milestones row 3: Date"]').get_attribute("aria-invalid") == "true"
    assert _page_overflow(page) <= 0
    shot(page, "plan-edit-refused-390")


def test_a_coordinator_drafts_the_purchase_request_from_the_plan_page(signed_in, server):
    page = signed_in("cora")
    page.goto(f"{server}/plans/{NUMBER}")
    page.click("#order-draft-form button")
    notice = page.locator("#order-drafted")
    notice.wait_for()
    assert "1 line(s)" in notice.inner_text() and "Helix Components" in notice.inner_text()
    notice.locator("a").first.click()
    page.wait_for_url("**/documents/*")
    assert "WB-7001" in page.content()


def test_the_followup_page_at_390_fits_the_window_and_links_plan_findings_to_their_milestone(signed_in, server):
    page = signed_in("cora", 390)
    page.goto(f"{server}/followup?product=KX200")
    assert _page_overflow(page) <= 0
    link = page.locator(f'#followup-table a[href="/plans/{NUMBER}#ms-M2"]').first
    assert link.is_visible()
    shot(page, "followup-390")
    link.click()
    page.wait_for_url(f"**/plans/{NUMBER}#ms-M2")
    assert "shortage" in page.inner_text("#ms-M2")
