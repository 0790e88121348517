"""Any screen: every page of the app at phone width (390 px) and desktop width (1280 px) in Debian's Chromium,
driven by Playwright against a real `dms serve` over the sample archive. No page scrolls sideways, the menu folds
on a phone, and the neighbourhood graph keeps its labels apart. Screenshots of every page go to
test-output/screenshots/desktop-*.png and phone-*.png."""

from __future__ import annotations

import re

import browsing
import pytest
from browsing import Server
from conftest import REPO, make_web_home

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
HOLD = "Kettle hinge dispute"
WORKFLOW: dict[str, str] = {}  # the change request the server fixture opens: {"cr": its number}

# Every page, by name -> path. "{doc}", "{hold}" and "{cr}" are filled in from the running archive.
PAGES = {
    "start": "/",
    "search": "/search?q=lid",
    "search-many": "/search?q=KX200",
    "document": "/documents/{doc}",
    "changes": "/changes",
    "change": "/changes/CR-2023-003",
    "change-new": "/changes/new",
    "change-workflow": "/changes/{cr}",
    "change-report": "/changes/{cr}/report",
    "products": "/products",
    "product": "/products/KX200",
    "graph": "/graph?ref=CR-2023-003",
    "graph-hub": "/graph?ref=KX200",
    "graph-empty": "/graph",
    "trace": "/trace?ref=CR-2023-003",
    "path": "/path?a=CR-2023-003&b=KX200",
    "holds": "/holds",
    "hold": "/holds/{hold}",
    "problems": "/problems",
    "review": "/review",
    "upload": "/upload",
    "users": "/users",
    "account": "/account",
    "password": "/account/password",
    "parties": "/parties",
    "views": "/views",
    "plans": "/plans",
    "plan": "/plans/PLAN-KX200-2025",
    "plan-as-of": "/plans/PLAN-KX200-2025?as_of=2025-02-24",
    "plan-edit": "/plans/PLAN-KX200-2025/edit",
    "plan-new": "/plans/new",
    "followup": "/followup?as_of=2025-03-20",
    "viewer": "/documents/{doc}/view",
    "api-docs": "/docs",
    "not-found": "/documents/987654",
}
SIGNED_OUT_PAGES = {"sign-in": "/sign-in"}
# The printable retrospective is a page of its own (dms/retro/retro.html, its own <style>, no dms.css).
RETRO_REPORT = "/products/KX200/retro"
# GET routes of the page routers that are not pages a person reads (downloads, images, redirects, probes).
NOT_PAGES = {"/health", "/favicon.ico", "/graph/export", "/plans/template.xlsx", "/documents/{doc_id}/original",
             "/sign-out",
             "/documents/{doc_id}/thumb", "/documents/{doc_id}/pages/{n}.png", "/documents/{doc_id}/pages/{n}/boxes",
             "/documents/{doc_id}/preview.json",
             "/documents/{doc_id}/preview.html"}  # a sanitised fragment that the document page's viewer shows
pytestmark = [pytest.mark.browser,
              pytest.mark.timeout(900)]  # the module's server may wait for the sample archive's ingest


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dms serve` over the sample archive with one user of each role and one legal hold, until the module ends."""
    from dms import changes, holds
    from dms.app import Dms
    from dms.config import load_settings

    home = make_web_home(tmp_path_factory.mktemp("screens") / "home")
    with Dms(load_settings(environ={}, home=home)) as app:
        holds.place(app, HOLD, "ada", description="Hinge cracks reported on KX200 kettles", products=["KX200"])
        WORKFLOW["cr"] = changes.create(app, "Thicker lid seal for KX200", "cora", products=["KX200"],
                                        affected=["SPEC-KX200-02"], relevance="Leaks cause most KX200 returns",
                                        risks=["supplier delay:2:3"]).number
    served = Server(home)
    yield served.base
    served.stop()


@pytest.fixture
def console_allowed():
    """The 404 page is visited on purpose; a 5xx, a script error or a CSP violation never is."""
    return lambda console_text: "the server responded with a status of 404" in console_text


@pytest.fixture
def open_page(pages, server):
    """open_page(viewport, user="ada") -> a page in a fresh context of that size, signed in through the form
    (user None: not signed in). Console errors (a CSP violation among them) fail the test."""
    def opener(viewport: dict, user: str | None = "ada"):
        return pages.signed_in(server, user, viewport) if user else pages.new(viewport)

    return opener


def shot(page, name: str) -> None:
    """A full-page screenshot, checked not to be blank (a flat page compresses to almost nothing)."""
    browsing.shot(page, name, min_bytes=5_000)


def overflow(page) -> dict | None:
    """None when the page fits its window; else how wide it is and the elements that stick out on the right."""
    return page.evaluate("""() => {
        const root = document.documentElement, width = window.innerWidth;
        if (root.scrollWidth <= width) { return null; }
        const culprits = [];
        for (const el of document.body.querySelectorAll("*")) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 0.5 && r.width > 0) {
                culprits.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ")[0] : "")
                              + " right=" + Math.round(r.right));
            }
        }
        return {scrollWidth: root.scrollWidth, innerWidth: width, culprits: culprits.slice(0, 8)};
    }""")


def page_routes() -> set[str]:
    """The GET routes of the page routers (dms/web/pages_*.py)."""
    routes = set()
    for module in (REPO / "dms" / "web").glob("pages_*.py"):
        routes |= set(re.findall(r'@router\.get\("([^"]+)"', module.read_text()))
    return routes


def _route_of(path: str, routes: set[str]) -> str | None:
    plain = re.sub(r"\?.*", "", path).replace("{doc}", "1").replace("{hold}", "1").replace("{cr}", "CR-1")
    for route in sorted(routes, key=lambda r: (r.count("{"), r)):  # /changes/new before /changes/{number}
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(route)), plain):
            return route
    return None


def _paths(server: str, page) -> dict[str, str]:
    """PAGES that the routers serve (a part may not have added its page yet), with the ids of a real document
    and the hold filled in."""
    routes = page_routes()
    page.goto(server + "/search?q=lid")
    doc = page.get_attribute("main a[href^='/documents/']", "href").split("/")[2]
    page.goto(server + "/holds")
    hold = page.get_attribute(f"main a:has-text('{HOLD}')", "href").rsplit("/", 1)[1]
    return {name: path.format(doc=doc, hold=hold, cr=WORKFLOW["cr"]) for name, path in PAGES.items()
            if name == "not-found" or _route_of(path, routes)}


def _visit(page, url: str) -> int:
    response = page.goto(url)
    page.wait_for_load_state("load")
    if page.locator("#graph").count():
        page.wait_for_selector("#graph[data-ready=yes]")
    return response.status


@pytest.mark.parametrize("kind,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_every_page_fits_the_window_without_sideways_scrolling(open_page, server, kind, viewport):
    page = open_page(viewport)
    failures = []
    for name, path in _paths(server, page).items():
        status = _visit(page, server + path)
        if status >= 500 or (status >= 400 and name != "not-found"):
            failures.append(f"{name} {path}: HTTP {status}")
        wide = overflow(page)
        if wide:
            failures.append(f"{name} {path}: {wide}")
        shot(page, f"{kind}-{name}")
    signed_out = open_page(viewport, user=None)
    for name, path in SIGNED_OUT_PAGES.items():
        _visit(signed_out, server + path)
        if overflow(signed_out):
            failures.append(f"{name} {path}: {overflow(signed_out)}")
        shot(signed_out, f"{kind}-{name}")
    assert not failures, "\n".join(failures)


def test_the_printable_retrospective_fits_a_phone(open_page, server):
    page = open_page(PHONE)
    _visit(page, server + RETRO_REPORT)
    shot(page, "phone-retro")
    assert overflow(page) is None, overflow(page)


def test_every_page_route_is_walked():
    """A page added to a router must be added to PAGES (or to NOT_PAGES when a person never reads it)."""
    routes = page_routes()
    walked = {_route_of(p, routes) for p in [*PAGES.values(), *SIGNED_OUT_PAGES.values(), RETRO_REPORT]}
    missing = sorted(routes - walked - NOT_PAGES)
    assert not missing, f"pages not walked at phone and desktop width: {missing}"


def test_the_menu_folds_on_a_phone_and_opens_with_a_tap(open_page, server):
    page = open_page(PHONE)
    products = page.locator("header.top nav a", has_text="Products")
    assert not products.is_visible()  # folded away
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 120, header  # the folded header stays small
    page.click("header.top summary")
    assert products.is_visible()
    shot(page, "phone-menu-open")
    for link in page.locator("header.top nav a").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (link.inner_text(), box)
    assert overflow(page) is None
    products.click()
    page.wait_for_url(server + "/products")


def test_the_menu_is_open_on_a_desktop(open_page):
    page = open_page(DESKTOP)
    assert page.locator("header.top nav a", has_text="Products").is_visible()
    assert not page.locator("header.top summary").is_visible()
    assert page.locator("header.top").bounding_box()["height"] <= 80


def test_search_results_use_the_width_of_a_phone(open_page, server):
    page = open_page(PHONE)
    page.goto(server + "/search?q=lid")
    hits = page.locator("main a[href^='/documents/']").first.bounding_box()
    results = page.evaluate("""() => {
        const link = document.querySelector("main a[href^='/documents/']");
        let box = link.parentElement; while (box && box.tagName !== "LI") { box = box.parentElement; }
        return (box || link.parentElement).getBoundingClientRect().width; }""")
    assert results >= 300, f"results squeezed into {results:.0f} px"
    assert hits["x"] + hits["width"] <= PHONE["width"]


GRAPH_LABELS = """() => {
    const cy = document.getElementById("graph")._cyreg.cy;
    const boxes = [];
    cy.elements().forEach((el) => {
        if (!el.visible() || !el.style("label") || Number(el.style("text-opacity")) === 0) { return; }
        const b = el.renderedBoundingBox({includeNodes: false, includeEdges: false, includeLabels: true,
                                          includeMainLabels: true, includeSourceLabels: false,
                                          includeTargetLabels: false, includeOverlays: false});
        if (b.w > 0 && b.h > 0) {
            boxes.push({id: el.id(), label: el.style("label"), x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2});
        }
    });
    return {boxes: boxes, zoom: cy.zoom(), minZoom: cy.minZoom(), maxZoom: cy.maxZoom(), nodes: cy.nodes().length,
            root: cy.nodes("[?root]").id(), neighbours: cy.nodes("[?root]").neighborhood("node").length};
}"""


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["label"], b["label"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]]


@pytest.mark.parametrize("ref", ["CR-2023-003", "KX200"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_graph_labels_never_overlap_and_name_the_root(open_page, server, ref, viewport):
    page = open_page(viewport)
    _visit(page, f"{server}/graph?ref={ref}")
    shot(page, f"{'phone' if viewport == PHONE else 'desktop'}-graph-{ref}")
    seen = page.evaluate(GRAPH_LABELS)
    assert not overlapping(seen["boxes"]), overlapping(seen["boxes"])
    assert seen["root"] in {b["id"] for b in seen["boxes"]}  # the root is always named
    assert len(seen["boxes"]) >= min(4, seen["neighbours"])
    assert seen["minZoom"] <= seen["zoom"] <= seen["maxZoom"]
    box = page.locator("#graph").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(6):  # zooming in has room for more names, still apart
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(120)
    page.wait_for_timeout(300)
    closer = page.evaluate(GRAPH_LABELS)
    assert closer["zoom"] > seen["zoom"]
    assert not overlapping(closer["boxes"]), overlapping(closer["boxes"])
    if len(seen["boxes"]) < seen["neighbours"] + 1:  # names are kept one size on screen: zooming in names more
        assert len(closer["boxes"]) > len(seen["boxes"]), (len(seen["boxes"]), len(closer["boxes"]))


def test_a_small_graph_is_not_blown_up_and_zoom_has_limits(open_page, server):
    page = open_page(DESKTOP)
    _visit(page, f"{server}/graph?ref=CR-2023-003")
    seen = page.evaluate(GRAPH_LABELS)
    assert seen["zoom"] <= 1.5, f"a graph of {seen['nodes']} nodes opened at zoom {seen['zoom']:.2f}"
    assert 0.05 <= seen["minZoom"] and seen["maxZoom"] <= 4
    box = page.locator("#graph").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(25):
        page.mouse.wheel(0, -600)
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.getElementById('graph')._cyreg.cy.zoom()") <= seen["maxZoom"]
    for _ in range(40):
        page.mouse.wheel(0, 600)
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.getElementById('graph')._cyreg.cy.zoom()") >= seen["minZoom"]


def test_hovering_a_node_shows_its_name_and_the_legend_names_each_kind(open_page, server):
    page = open_page(DESKTOP)
    _visit(page, f"{server}/graph?ref=KX200&radius=2")
    quiet = page.evaluate("""() => {
        const cy = document.getElementById("graph")._cyreg.cy;
        const apart = (n) => cy.nodes().every((m) => m === n || Math.hypot(
            m.renderedPosition().x - n.renderedPosition().x, m.renderedPosition().y - n.renderedPosition().y) > 20);
        const n = cy.nodes().filter((n) => !n.style("label") && apart(n))[0];
        if (!n) { return null; }
        const p = n.renderedPosition();
        return {id: n.id(), x: p.x, y: p.y};
    }""")
    assert quiet, "every node of a product's two-link neighbourhood has its name shown: labels will overlap"
    box = page.locator("#graph").bounding_box()
    page.mouse.move(box["x"] + quiet["x"], box["y"] + quiet["y"])
    page.wait_for_timeout(200)
    shown = page.evaluate(f"""() => document.getElementById("graph")._cyreg.cy.getElementById({quiet['id']!r})
                              .style("label")""")
    assert shown, "hovering a node shows its name"
    kinds = page.evaluate("""() => [...new Set(document.getElementById("graph")._cyreg.cy.nodes()
                                                .map((n) => n.data("kind")))]""")
    legend = page.locator(".graph-legend li[data-kind]")
    assert sorted(legend.evaluate_all("(els) => els.map((e) => e.dataset.kind)")) == sorted(kinds)
    colours = legend.evaluate_all("(els) => els.map((e) => e.querySelector('circle').getAttribute('fill'))")
    assert len(set(colours)) == len(colours)  # one colour per kind
    node_colours = page.evaluate("""() => { const cy = document.getElementById("graph")._cyreg.cy; const out = {};
        cy.nodes().forEach((n) => { out[n.data("kind")] = n.style("background-color").replace(/ /g, ""); });
        return out; }""")
    for item in legend.all():
        fill = item.locator("circle").get_attribute("fill")
        rgb = "rgb({},{},{})".format(*(int(fill[i:i + 2], 16) for i in (1, 3, 5)))
        assert node_colours[item.get_attribute("data-kind")] == rgb
