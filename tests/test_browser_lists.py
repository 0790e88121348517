"""Lists that refine, in the browser: Playwright drives Debian's Chromium against `dms serve` (a real uvicorn
server) over the sample archive: filter chips on and off, a saved view pinned to the start page, a bulk hold.
Screenshots go to test-output/screenshots/lists-*.png."""

from __future__ import annotations

import browsing
import pytest
from browsing import Server
from conftest import make_web_home

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dms serve` in its own process, on a free port, until the module's tests are done."""
    served = Server(make_web_home(tmp_path_factory.mktemp("browser-lists") / "home"))
    yield served.base
    served.stop()


@pytest.fixture
def signed_in(pages, server):
    """signed_in("cora") -> a page of a fresh browser context, signed in through the sign-in form.
    Console errors (a Content-Security-Policy violation among them) fail the test."""
    return lambda name: pages.signed_in(server, name)


def shot(page, name: str) -> None:
    browsing.shot(page, f"lists-{name}")


def _total(page) -> int:
    return int(page.inner_text("p.summary").split(" ", 1)[0].replace(",", ""))


def _search(page, server, query: str) -> None:
    page.goto(server + "/search")
    page.fill("form.big-search input[name=q]", query)
    page.press("form.big-search input[name=q]", "Enter")
    page.wait_for_selector("ol.hits li")


def test_filter_chips_go_on_from_facets_and_off_from_the_chip_or_the_facet(signed_in, server):
    page = signed_in("vera")
    _search(page, server, "lid")
    everything = _total(page)
    assert page.locator(".chips a.chip").count() == 0
    page.click("a.facet >> text=minutes")
    page.wait_for_url("**f=type%3Aminutes**")
    assert page.input_value("form.big-search input[name=q]") == "lid"  # the filter is not typed into the query
    chip = page.locator(".chips a.chip")
    assert chip.count() == 1 and "type: minutes" in chip.inner_text()
    minutes = _total(page)
    assert 0 < minutes < everything
    page.click("a.facet >> text=KX200")
    page.wait_for_url("**f=product%3AKX200**")
    assert page.locator(".chips a.chip").count() == 2 and _total(page) <= minutes
    shot(page, "chips")
    page.click(".chips a.chip[data-field=type]")  # the × of one chip: only that filter goes
    page.wait_for_url(lambda url: "type%3A" not in url)
    assert [" ".join(c.split()) for c in page.locator(".chips a.chip").all_inner_texts()] == ["product: KX200 ×"]
    page.click("a.facet.on >> text=KX200")  # the facet clicked again: off
    page.wait_for_url(lambda url: "f=" not in url)
    assert page.locator(".chips a.chip").count() == 0 and _total(page) == everything
    assert "f=" not in page.url


def test_a_search_saved_as_a_pinned_view_is_on_the_start_page_and_reopens_it(signed_in, server):
    page = signed_in("vera")
    page.goto(server + "/search?q=hinge&f=type%3Aminutes&limit=10")
    page.wait_for_selector("ol.hits li")
    filtered = _total(page)
    page.click("details.save-view summary")
    page.fill("details.save-view input[name=name]", "Hinge minutes")
    page.check("details.save-view input[name=pinned]")
    page.click("details.save-view button")
    page.wait_for_selector(".chips a.chip")
    page.goto(server + "/")
    link = page.locator("#pinned-views a", has_text="Hinge minutes")
    assert link.count() == 1
    shot(page, "pinned-view")
    link.click()
    page.wait_for_selector("ol.hits li")
    assert _total(page) == filtered
    assert "type: minutes" in page.inner_text(".chips")
    assert page.input_value("select[name=limit]") == "10"


def test_ticked_results_are_added_to_a_new_hold(signed_in, server):
    page = signed_in("cora")
    _search(page, server, "hinge")
    rows = page.locator("ol.hits li.hit")
    wanted = [rows.nth(i).locator("a.title").get_attribute("href").split("?")[0] for i in range(2)]
    rows.nth(0).locator("input.pick").check()
    rows.nth(1).locator("input.pick").check()
    assert "2 selected" in page.inner_text("form.bulk output.picked")
    page.fill("form.bulk input[name=new_matter]", "Hinge complaints 2024")
    shot(page, "bulk")
    page.click("form.bulk button[value=hold]")
    page.wait_for_url("**/holds/*")
    assert "Hinge complaints 2024" in page.inner_text("h1")
    held = {a.get_attribute("href").split("?")[0] for a in page.locator("main a[href^='/documents/']").all()}
    assert set(wanted) <= held and len(held) == 2


def test_select_all_ticks_every_row_of_the_page(signed_in, server):
    page = signed_in("cora")
    page.goto(server + "/search?q=lid&limit=10")
    page.wait_for_selector("ol.hits li")
    page.check("form.bulk input.pick-all")
    assert page.locator("input.pick:checked").count() == 10
    assert "10 selected" in page.inner_text("form.bulk output.picked")
