"""Reach everything from the browser (in-process client over a fresh sample archive of this module's own):
the Products index, change requests on file listed with workflow ones, a request's page linking its notices,
report and amending revisions, "waiting for me" and "my requests" on the start page, pinned views, refused
forms coming back with the reason beside them and the input kept, and the navigation on every page."""

from __future__ import annotations

import re

import pytest
from conftest import make_web_home, password_of, write_pdf

from dms import changes, views
from dms.app import Dms
from dms.changes.views import catalogue, counts
from dms.config import load_settings
from dms.graph import graph_for
from dms.ingest.pipeline import ingest

NAV = '<a href="/products">Products</a>'


@pytest.fixture(scope="module")
def reach_settings(tmp_path_factory):
    home = make_web_home(tmp_path_factory.mktemp("reach") / "home")
    return load_settings(environ={"DMS_WORKERS": "2"}, home=home)


@pytest.fixture(scope="module")
def client_as(reach_settings):
    from fastapi.testclient import TestClient

    from dms.web import create_app

    app = create_app(reach_settings)
    opened = []

    def make(name: str | None):
        client = TestClient(app, follow_redirects=False)
        opened.append(client)
        if name:
            assert client.post("/sign-in", data={"name": name, "password": password_of(name),
                                                 "next": "/"}).status_code == 303
        return client

    yield make
    for client in opened:
        client.close()


def _csrf(client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/account").text).group(1)


def _post(client, path, **data):
    return client.post(path, data={**data, "csrf": _csrf(client)})


def _archive(settings):
    return Dms(settings)


def _run(settings, number, *steps):
    with _archive(settings) as app:
        for action, who, params in steps:
            changes.transition(app, number, action, who, **params)


ASSESSED = dict(relevance="high", risks=["tooling delay:2:3"], benefits="fewer returns", cost_once=1200,
                cost_recurring=0, schedule_impact="2 weeks")


# -- products ------------------------------------------------------------------------------------------------


def test_the_products_index_lists_each_product_with_documents_figures_and_requests(client_as, reach_settings):
    vera = client_as("vera")
    html = vera.get("/products").text
    with _archive(reach_settings) as app:
        g = graph_for(app)
        products = sorted(n.split(":", 1)[1] for n, a in g.nodes(data=True) if a["kind"] == "product")
        on_file = {p: {r["number"] for r in catalogue(app, product=p, source="on file")} for p in products}
        documents = {p: sum(1 for d, _ in g.in_edges(f"product:{p}") if g.nodes[d]["kind"] == "document")
                     for p in products}  # read while the archive is open: the graph reads the catalog
    assert products == ["AQ150", "KX200", "VL310"]
    for code in products:
        card = re.search(rf'<article class="product-card" id="product-{code}">(.*?)</article>', html, re.S).group(1)
        assert f"<b>{documents[code]}</b> document(s)" in card
        assert f'href="/products/{code}"' in card and f'href="/products/{code}/retro"' in card
        assert re.search(r"<b>[\d,]+</b> sold · <b>[\d,]+</b> returned \([\d.]+ %\)", card), card
        assert f"{len(on_file[code])} change request(s)" in card
    assert NAV in html
    start = vera.get("/").text
    assert 'href="/products"' in start and all(f'href="/products/{code}"' in start for code in products)
    assert vera.get("/products/KX200").status_code == 200


# -- change requests on file -----------------------------------------------------------------------------------


def test_requests_on_file_are_listed_with_workflow_ones_by_default(client_as, reach_settings):
    cora = client_as("cora")
    number = _post(cora, "/changes", title="Listed with the archive's").headers["location"].rsplit("/", 1)[1]
    html = cora.get("/changes").text
    listed = re.findall(r'<tr class="(on-file|workflow)"><td><a href="/changes/([^"]+)"', html)
    assert ("workflow", number) in listed and ("on-file", "CR-2023-003") in listed
    assert sum(1 for kind, _ in listed if kind == "on-file") == 15
    only_workflow = re.findall(r'<tr class="(on-file|workflow)"', cora.get("/changes?source=workflow").text)
    assert set(only_workflow) == {"workflow"}
    only_on_file = re.findall(r'<tr class="(on-file|workflow)"', cora.get("/changes?state=on+file").text)
    assert set(only_on_file) == {"on-file"} and len(only_on_file) == 15
    kx200 = cora.get("/changes?product=KX200").text
    assert "CR-2022-002" in kx200 and "CR-2023-003" not in kx200  # CR-2023-003 is about the VL310
    assert "CR-2024-001" not in cora.get("/changes?until=2023-12-31&source=on+file").text
    assert cora.get("/changes?since=last+week").status_code == 400
    assert cora.get("/changes?source=elsewhere").status_code == 400


def test_the_start_page_counts_requests_on_file_and_in_the_workflow(client_as, reach_settings):
    html = client_as("vera").get("/").text
    with _archive(reach_settings) as app:
        known = counts(app)
    assert known["on_file"] == 15
    card = re.search(r'<div class="card" id="requests-card">(.*?)</div>', html, re.S).group(1)
    assert f"<b>{known['workflow'] + 15}</b> change requests" in card
    assert f"{known['workflow']} in the workflow" in card and "15 on file" in card


# -- a request's page -------------------------------------------------------------------------------------------


def test_a_decided_request_links_its_notice_report_filed_copy_and_amending_revision(client_as, reach_settings,
                                                                                  tmp_path):
    cora = client_as("cora")
    number = _post(cora, "/changes", title="Stronger lid hinge", products="KX200",
                   affected="SPEC-KX200-02").headers["location"].rsplit("/", 1)[1]
    before = cora.get(f"/changes/{number}").text
    assert 'id="no-notices"' in before and f'href="/changes/{number}/report"' in before
    _run(reach_settings, number, ("submit", "cora", {}), ("review", "cora", {}), ("assess", "ada", ASSESSED),
         ("decide", "mona", {"outcome": "approved", "rationale": "worth it"}), ("authorize", "theo", {}))
    (tmp_path / "specifications").mkdir()
    revision = write_pdf(tmp_path / "specifications" / "SPEC-KX200-02_RevE.pdf", [
        "Kettle KX200 Electrical Specification\nDocument No.: SPEC-KX200-02\nRevision: E\nDate: 2026-11-30\n"
        f"Product: KX200\nRevision E implements change request {number}.\nThe lid hinge is made of steel."])
    with _archive(reach_settings) as app:
        ingest(app, [revision])
        rev_id = next(d.id for d in app.catalog.same_number("SPEC-KX200-02") if d.version.revision == "E")
    page = cora.get(f"/changes/{number}").text
    notice = re.search(r'<article class="notice" id="notice-1">(.*?)</article>', page, re.S).group(1)
    assert f"Decision on change request {number}: approved" in notice and "Rationale: worth it" in notice
    assert re.search(r'<a href="/documents/\d+">Decision on change request', notice)
    assert "delivered" in notice
    amending = re.search(r'<ul class="plain" id="amending">(.*?)</ul>', page, re.S).group(1)
    assert f'<a href="/documents/{rev_id}">SPEC-KX200-02 Rev E' in amending
    assert f'amended by <a href="/documents/{rev_id}">SPEC-KX200-02 Rev E</a>' in page
    filed = re.search(r'<a href="/documents/(\d+)" id="filed-link">', page).group(1)
    assert number in cora.get(f"/documents/{filed}").text
    report = cora.get(f"/changes/{number}/report")
    assert report.status_code == 200 and NAV in report.text and f"Assessment report: {number}" in report.text
    assert "script-src" not in report.headers["content-security-policy"]
    printable = cora.get(f"/changes/{number}/report", params={"standalone": 1})
    assert NAV not in printable.text and f"Assessment report: {number}" in printable.text


def test_a_request_on_file_links_its_decision_amending_revision_and_mentions(client_as):
    page = client_as("vera").get("/changes/CR-2023-003").text
    decided = re.search(r'id="decided-in">(.*?)</ul>', page, re.S).group(1)
    amended = re.search(r'id="amended-by">(.*?)</ul>', page, re.S).group(1)
    assert "Minutes" in decided and "approved" in decided
    assert re.search(r'<a href="/documents/\d+">', amended)
    mentioned = re.search(r'id="mentioned">(.*?)</ul>', page, re.S).group(1)
    assert "fax-CasaNova-2023-06-02.tiff" in mentioned
    decided_links = set(re.findall(r'href="/documents/(\d+)"', decided))
    assert not decided_links & set(re.findall(r'href="/documents/(\d+)"', mentioned))  # each document once


# -- refused forms -----------------------------------------------------------------------------------------------


def test_a_refused_new_request_comes_back_with_the_reason_and_the_input_kept(client_as):
    cora = client_as("cora")
    refused = _post(cora, "/changes", title=" ", description="Hinge cracks after two weeks",
                    products="KX200", need_date="2027-01-31", attachments="no such document")
    assert refused.status_code in (400, 404)
    assert 'class="error form-error"' in refused.text and 'id="new-request"' in refused.text
    assert "Hinge cracks after two weeks</textarea>" in refused.text
    assert 'name="products" value="KX200"' in refused.text and 'value="2027-01-31"' in refused.text
    assert "Back button" not in refused.text and NAV in refused.text


def test_a_refused_action_comes_back_beside_its_form_with_the_input_kept(client_as):
    cora, mona, ada = client_as("cora"), client_as("mona"), client_as("ada")  # ada assesses cora's request
    number = _post(cora, "/changes", title="Quieter fan").headers["location"].rsplit("/", 1)[1]
    assert _post(cora, f"/changes/{number}/submit").status_code == 303
    assert _post(cora, f"/changes/{number}/review").status_code == 303
    incomplete = _post(ada, f"/changes/{number}/assess", relevance="high, many returns", risks="noise:2:2")
    assert incomplete.status_code == 400
    form = re.search(r'<form [^>]*data-action="assess">(.*?)</form>', incomplete.text, re.S).group(1)
    assert "no decision without a complete assessment" in form
    assert "high, many returns</textarea>" in form and "noise:2:2</textarea>" in form
    assert _post(ada, f"/changes/{number}/assess", relevance="high", risks="noise:2:2", benefits="quiet",
                 cost_once="10", cost_recurring="0", schedule_impact="none").status_code == 303
    own = _post(cora, f"/changes/{number}/decide", outcome="approved", rationale="my own idea")
    assert own.status_code == 403  # cora is not a manager
    assert "this needs a manager" in own.text and NAV in own.text
    no_rationale = _post(mona, f"/changes/{number}/decide", outcome="deferred", rationale=" ", note="next year")
    decide = re.search(r'<form [^>]*data-action="decide">(.*?)</form>', no_rationale.text, re.S).group(1)
    assert no_rationale.status_code == 400 and "with a rationale" in decide
    assert "<option selected>deferred</option>" in decide and 'value="next year"' in decide
    assert mona.get(f"/api/v1/changes/{number}").json()["state"] == "assessed"


def test_a_stale_edit_keeps_the_input_and_offers_the_current_revision(client_as):
    cora = client_as("cora")
    number = _post(cora, "/changes", title="Stale").headers["location"].rsplit("/", 1)[1]
    revision = cora.get(f"/api/v1/changes/{number}").json()["revision"]
    assert _post(cora, f"/changes/{number}/edit", reason="first", revision=str(revision)).status_code == 303
    stale = _post(cora, f"/changes/{number}/edit", reason="second thoughts", revision=str(revision))
    assert stale.status_code == 409
    form = re.search(r'<form [^>]*data-action="edit">(.*?)</form>', stale.text, re.S).group(1)
    assert "changed by someone else" in form and "second thoughts</textarea>" in form
    assert f'name="revision" value="{revision + 1}"' in form
    assert cora.get(f"/api/v1/changes/{number}").json()["reason"] == "first"


# -- waiting for me, my requests, pinned views -------------------------------------------------------------------


def _panel(html: str, panel: str) -> str:
    found = re.search(rf'<ul class="plain" data-panel="{panel}">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def test_waiting_for_me_shows_each_role_its_next_steps_and_my_requests_mine(client_as, reach_settings):
    vera, cora, mona, theo = (client_as(n) for n in ("vera", "cora", "mona", "theo"))
    number = _post(vera, "/changes", title="Longer cord").headers["location"].rsplit("/", 1)[1]
    assert number in re.search(r'id="my-requests">(.*?)</ul>', vera.get("/").text, re.S).group(1)
    assert number not in _panel(cora.get("/").text, "review")  # a draft waits for its applicant only
    assert _post(vera, f"/changes/{number}/submit").status_code == 303
    assert number in _panel(cora.get("/").text, "review")
    assert number not in vera.get("/").text.split('id="waiting"', 1)[1].split("My requests", 1)[0]
    _run(reach_settings, number, ("review", "cora", {}), ("assess", "cora", ASSESSED))
    assert number in _panel(mona.get("/").text, "decide") and number not in _panel(cora.get("/").text, "review")
    _run(reach_settings, number, ("decide", "mona", {"outcome": "approved", "rationale": "yes"}))
    assert number in _panel(theo.get("/").text, "authorize")
    _run(reach_settings, number, ("authorize", "theo", {}))
    assert number in _panel(cora.get("/").text, "implement")
    _run(reach_settings, number, ("implement", "cora", {}))
    assert number in _panel(cora.get("/").text, "release")
    with _archive(reach_settings) as app:
        assert number in {r["number"] for r in changes.waiting_for(app, "cora")["release"]}
        assert number not in {r["number"] for p in changes.waiting_for(app, "vera").values() for r in p}
        assert [r["number"] for r in changes.mine(app, "vera")].count(number) == 1


def test_a_manager_is_not_asked_to_decide_or_authorize_their_own_request(reach_settings):
    with _archive(reach_settings) as app:
        own = changes.create(app, "Manager's own", "mona").number
        changes.transition(app, own, "submit", "mona")
        changes.transition(app, own, "review", "cora")
        changes.transition(app, own, "assess", "cora", **ASSESSED)
        assert own not in {r["number"] for r in changes.waiting_for(app, "mona")["decide"]}
        assert own in {r["number"] for r in changes.waiting_for(app, "theo")["decide"]}


def test_pinned_views_are_listed_on_their_owners_start_page(client_as, reach_settings):
    with _archive(reach_settings) as app:
        views.save(app.catalog, "cora", "Hinge minutes", "q=hinge&f=type:minutes", pin=True)
        views.save(app.catalog, "cora", "Not pinned", "q=cord")
    html = client_as("cora").get("/").text
    pinned = re.search(r'<section id="pinned-views">(.*?)</section>', html, re.S).group(1)
    assert ">Hinge minutes</a>" in pinned and "Not pinned" not in pinned
    link = re.search(r'<a href="([^"]+)">Hinge minutes</a>', pinned).group(1).replace("&amp;", "&")
    assert link.startswith("/search?") and "q=hinge" in link
    assert client_as("cora").get(link).status_code == 200
    assert 'id="pinned-views"' not in client_as("vera").get("/").text


# -- navigation everywhere ---------------------------------------------------------------------------------------


def test_error_pages_keep_the_navigation_and_offer_the_way_back(client_as):
    vera = client_as("vera")
    missing = vera.get("/no-such-page")
    assert missing.status_code == 404 and NAV in missing.text and "Back button" not in missing.text
    forbidden = vera.get("/users", headers={"referer": "http://testserver/changes"})
    assert forbidden.status_code == 403 and NAV in forbidden.text
    assert '<a href="/changes" id="back">' in forbidden.text
    elsewhere = vera.get("/users", headers={"referer": "http://evil.example/changes"})
    assert 'id="back"' not in elsewhere.text
    not_found = vera.get("/changes/CR-1999-999")
    assert not_found.status_code == 404 and NAV in not_found.text
    anonymous = client_as(None).get("/no-such-page")
    assert anonymous.status_code == 404 and NAV not in anonymous.text
    assert vera.get("/api/v1/nope").json()["error"]["status"] == 404
