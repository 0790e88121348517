"""Lists that refine, in-process: filters as URL parameters shown as chips, facets that toggle, page size,
titles with number and revision, thumbnails, saved views, bulk hold and link, the help's examples, table
titles. The sample archive in a data directory of this module's own (bulk actions change it)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import REPO, make_web_home, password_of, run_dms, run_json, write_xlsx

from dms import audit, holds, views
from dms.app import Dms
from dms.config import load_settings
from dms.web.pages_search import EXAMPLES


@pytest.fixture(scope="module")
def lists_settings(tmp_path_factory):
    home = make_web_home(tmp_path_factory.mktemp("lists") / "home")
    return load_settings(environ={"DMS_WORKERS": "2"}, home=home)


@pytest.fixture(scope="module")
def lists_app(lists_settings):
    from dms.web import create_app

    return create_app(lists_settings)


@pytest.fixture
def as_user(lists_app):
    from fastapi.testclient import TestClient

    opened = []

    def make(name: str):
        client = TestClient(lists_app, follow_redirects=False)
        opened.append(client)
        signed = client.post("/sign-in", data={"name": name, "password": password_of(name), "next": "/"})
        assert signed.status_code == 303
        return client

    yield make
    for client in opened:
        client.close()


def _csrf(client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/account").text).group(1)


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="title" href="/documents/(\d+)', html)]


def _total(html: str) -> int:
    return int(re.search(r"([\d,]+) document\(s\)", html).group(1).replace(",", ""))


def _chips(html: str) -> dict[str, str]:
    """label -> href of each chip."""
    return {unescape(label).strip(): unescape(href) for href, label in
            re.findall(r'class="chip" data-field="[^"]*" href="([^"]+)"[^>]*>([^<]+)<', html)}


def _facet(html: str, value: str) -> tuple[str, str]:
    """(class, href) of the facet link showing this value."""
    cls, href = next((c, h) for c, h, text in re.findall(r'class="(facet[^"]*)" href="([^"]+)"[^>]*>([^<]+)<', html)
                     if text == value)
    return cls, unescape(href)


def _api_doc(client, doc_id: int) -> dict:
    return client.get(f"/api/v1/documents/{doc_id}").json()


# -- filters and chips --------------------------------------------------------------------------------------

def test_a_facet_click_adds_a_filter_parameter_and_a_chip_and_leaves_the_query_text_alone(as_user):
    vera = as_user("vera")
    everything = vera.get("/search", params={"q": "lid"}).text
    cls, href = _facet(everything, "minutes")
    assert cls == "facet"
    assert parse_qs(urlsplit(href).query) == {"q": ["lid"], "f": ["type:minutes"], "sort": ["relevance"],
                                              "limit": ["20"]}
    refined = vera.get(href).text
    assert 0 < _total(refined) < _total(everything)
    assert 'name="q" value="lid"' in refined  # the query text is what was typed
    for doc_id in _ids(refined):
        assert _api_doc(vera, doc_id)["type"] == "minutes"
    assert list(_chips(refined)) == ["type: minutes"]


def test_the_chip_and_the_facet_clicked_again_both_remove_the_filter(as_user):
    vera = as_user("vera")
    refined = vera.get("/search", params={"q": "lid", "f": "type:minutes"}).text
    cls, again = _facet(refined, "minutes")
    assert cls == "facet on"
    unfiltered = _total(vera.get("/search", params={"q": "lid"}).text)
    for href in (again, _chips(refined)["type: minutes"]):
        assert "f=" not in href
        page = vera.get(href).text
        assert _total(page) == unfiltered and not _chips(page)


def test_filters_of_one_field_are_alternatives_and_of_different_fields_all_apply(as_user):
    vera = as_user("vera")
    count = lambda **p: _total(vera.get("/search", params={"q": "lid", **p}).text)  # noqa: E731
    first, second = list(vera.get("/api/v1/search", params={"q": "lid", "limit": 1}).json()["facets"]["type"])[:2]
    minutes, others = count(f=f"type:{first}"), count(f=f"type:{second}")
    assert minutes and others
    assert count(f=[f"type:{first}", f"type:{second}"]) == minutes + others
    narrowed = vera.get("/search", params={"q": "lid", "f": [f"type:{first}", "product:KX200"], "limit": 100}).text
    assert 0 < _total(narrowed) < minutes
    for doc_id in _ids(narrowed):
        doc = _api_doc(vera, doc_id)
        assert doc["type"] == first and "KX200" in doc["products"]
    assert set(_chips(narrowed)) == {f"type: {first}", "product: KX200"}


def test_filters_alone_list_documents_without_a_query(as_user):
    vera = as_user("vera")
    html = vera.get("/search", params={"f": ["product:AQ150", "year:2023"], "limit": 100}).text
    assert _total(html) > 0 and "How to search" not in html
    for doc_id in _ids(html):
        doc = _api_doc(vera, doc_id)
        assert "AQ150" in doc["products"] and doc["date"].startswith("2023")


def test_a_date_range_filter_keeps_dates_inside_it_and_shows_one_chip(as_user):
    vera = as_user("vera")
    html = vera.get("/search", params={"q": "lid", "from": "2023-01", "to": "2023-06", "limit": 100}).text
    ids = _ids(html)
    assert ids and _total(html) < _total(vera.get("/search", params={"q": "lid"}).text)
    for doc_id in ids:
        assert "2023-01-01" <= _api_doc(vera, doc_id)["date"] <= "2023-06-30"
    chips = _chips(html)
    assert list(chips) == ["date: 2023-01 – 2023-06"]
    assert "from=" not in chips["date: 2023-01 – 2023-06"] and "to=" not in chips["date: 2023-01 – 2023-06"]


def test_a_corrected_document_moves_between_filtered_lists_at_once(as_user, lists_settings):
    cora = as_user("cora")
    reports = _ids(cora.get("/search", params={"f": "type:report", "limit": 100}).text)
    with Dms(lists_settings) as archive:
        doc_id = next(i for i in reports if not holds.holds_on(archive, i))
    minutes = _ids(cora.get("/search", params={"f": "type:minutes", "limit": 100}).text)  # the selection is cached
    assert doc_id not in minutes
    edited = cora.post(f"/documents/{doc_id}/edit", data={"csrf": _csrf(cora), "type": "minutes", "reason": "test"})
    assert edited.status_code == 303
    assert doc_id in _ids(cora.get("/search", params={"f": "type:minutes", "limit": 100}).text)
    assert doc_id not in _ids(cora.get("/search", params={"f": "type:report", "limit": 100}).text)


def test_a_malformed_filter_is_explained_not_searched(as_user):
    vera = as_user("vera")
    for params in ({"q": "lid", "f": "colour:red"}, {"q": "lid", "f": "year:23"},
                   {"q": "lid", "from": "2023-07", "to": "2023-01"}, {"q": "lid", "from": "July"}):
        answer = vera.get("/search", params=params)
        assert answer.status_code == 400 and 'class="error"' in answer.text, params


def test_a_query_read_as_plain_words_says_so_above_the_results_with_or_without_filters(as_user):
    vera = as_user("vera")
    told = vera.get("/api/v1/search", params={"q": '"lid hinge', "limit": 1}).json()["notice"]
    assert told
    for params in ({"q": '"lid hinge'}, {"q": '"lid hinge', "f": "type:minutes"}):
        html = vera.get("/search", params=params).text
        notice = re.search(r'<p class="notice" role="status">([^<]+)</p>', html)
        assert notice and unescape(notice.group(1)) == told and _total(html) > 0, params
    assert 'class="notice"' not in vera.get("/search", params={"q": "lid hinge"}).text


def test_the_page_size_can_be_chosen_and_is_kept_by_facets_and_paging(as_user):
    vera = as_user("vera")
    html = vera.get("/search", params={"q": "lid", "limit": 50}).text
    assert _total(html) > 50 and len(_ids(html)) == 50
    assert '<option value="50" selected>' in html
    _, href = _facet(html, "minutes")
    assert "limit=50" in href
    assert "limit=50" in unescape(re.search(r'<nav class="pager">.*?href="([^"]+)"', html, re.S).group(1))


# -- what a row shows ---------------------------------------------------------------------------------------

def test_revisions_are_told_apart_by_number_and_revision_in_the_list(as_user):
    html = unescape(as_user("vera").get("/search", params={"q": "SPEC-KX200-02", "limit": 50}).text)
    titles = re.findall(r'class="title" href="[^"]+">([^<]+)<', html)
    assert "SPEC-KX200-02 Rev C · Kettle KX200 Electrical Specification" in titles
    revisions = [t for t in titles if t.startswith("SPEC-KX200-02 Rev ")]
    assert len(revisions) >= 2 and len(set(revisions)) == len(revisions)


def test_each_row_has_a_lazy_thumbnail_of_fixed_size(as_user):
    html = as_user("vera").get("/search", params={"q": "lid"}).text
    ids = _ids(html)
    thumbs = re.findall(r'<img src="/documents/(\d+)/thumb" loading="lazy" width="\d+" height="\d+" alt="">', html)
    assert [int(t) for t in thumbs] == ids


def test_every_example_in_the_help_finds_something_in_the_sample_archive(as_user):
    vera = as_user("vera")
    help_page = vera.get("/search").text
    for example, _ in EXAMPLES:
        assert f"<code>{example}</code>" in unescape(help_page).replace("&#34;", '"') or example in unescape(help_page)
        answer = vera.get("/api/v1/search", params={"q": example, "limit": 1})
        assert answer.status_code == 200 and answer.json()["total"] > 0, example


# -- saved views --------------------------------------------------------------------------------------------

def test_a_search_saved_as_a_view_reopens_with_its_filters_and_can_be_pinned_renamed_and_deleted(as_user,
                                                                                                 lists_settings):
    vera = as_user("vera")
    html = vera.get("/search", params={"q": "lid", "f": "type:minutes", "limit": 50, "page": 2}).text
    query = unescape(re.search(r'name="query" value="([^"]*)"', html).group(1))
    assert "page" not in parse_qs(query)
    saved = vera.post("/views", data={"csrf": _csrf(vera), "name": "Lid minutes", "query": query, "pinned": "1"})
    assert saved.status_code == 303
    reopened = vera.get(saved.headers["location"]).text
    assert list(_chips(reopened)) == ["type: minutes"] and 'name="q" value="lid"' in reopened
    with Dms(lists_settings) as archive:
        (view,) = views.pinned(archive.catalog, "vera")
        assert view.name == "Lid minutes" and parse_qs(view.query_string)["f"] == ["type:minutes"]
        assert views.pinned(archive.catalog, "cora") == []
    csrf = _csrf(vera)
    assert vera.post(f"/views/{view.id}/rename", data={"csrf": csrf, "name": "Minutes on the lid"}).status_code == 303
    assert vera.post(f"/views/{view.id}/pin", data={"csrf": csrf, "pinned": "0"}).status_code == 303
    page = vera.get("/views").text
    assert "Minutes on the lid" in page and "Pin to start page" in page
    assert vera.post(f"/views/{view.id}/delete", data={"csrf": csrf}).status_code == 303
    assert "Minutes on the lid" not in vera.get("/views").text
    with Dms(lists_settings) as archive:
        actions = [e["action"] for e in audit.history(archive.catalog, "user:vera")]
    for action in (views.SAVED, views.RENAMED, views.UNPINNED, views.DELETED):
        assert action in actions


def test_a_view_is_its_owners_alone(as_user):
    vera, cora = as_user("vera"), as_user("cora")
    vera.post("/views", data={"csrf": _csrf(vera), "name": "Mine", "query": "q=hinge"})
    view_id = int(re.search(r'action="/views/(\d+)/delete"', vera.get("/views").text).group(1))
    assert "Mine" not in cora.get("/views").text
    for action, data in (("rename", {"name": "Stolen"}), ("pin", {"pinned": "1"}), ("delete", {})):
        assert cora.post(f"/views/{view_id}/{action}", data={"csrf": _csrf(cora), **data}).status_code == 404
    assert "Mine" in vera.get("/views").text


def test_a_view_needs_a_name_a_search_and_a_name_of_its_own(as_user):
    vera = as_user("vera")
    csrf = _csrf(vera)
    assert vera.post("/views", data={"csrf": csrf, "name": "", "query": "q=lid"}).status_code == 400
    assert vera.post("/views", data={"csrf": csrf, "name": "Nothing", "query": "page=2&evil=1"}).status_code == 400
    assert vera.post("/views", data={"csrf": csrf, "name": "Twice", "query": "q=lid"}).status_code == 303
    again = vera.post("/views", data={"csrf": csrf, "name": "Twice", "query": "q=hinge"})
    assert again.status_code == 400 and "already" in again.text


def test_the_command_line_saves_lists_pins_and_deletes_the_same_views(as_user, lists_settings):
    home, env = lists_settings.home, {"DMS_USER": "theo"}
    saved = run_json(home, "view", "save", "KX200 minutes 2023", "lid", "-f", "type:minutes", "-f", "product:KX200",
                     "--from", "2023", "--limit", "50", "--pin", env=env)
    assert saved["pinned"] and parse_qs(saved["query_string"]) == {
        "q": ["lid"], "f": ["type:minutes", "product:KX200"], "from": ["2023"], "limit": ["50"]}
    theo = as_user("theo")
    assert "KX200 minutes 2023" in theo.get("/").text  # on theo's start page (part nav lists pinned views)
    page = theo.get(saved["url"]).text
    assert set(_chips(page)) == {"type: minutes", "product: KX200", "date: 2023 – …"}
    assert [v["name"] for v in run_json(home, "view", "list", env=env)] == ["KX200 minutes 2023"]
    assert not run_json(home, "view", "pin", str(saved["id"]), "--off", env=env)["pinned"]
    run_dms(home, "view", "delete", str(saved["id"]), env=env)
    assert run_json(home, "view", "list", env=env) == []
    refused = run_dms(home, "view", "save", "Bad", "lid", "-f", "colour:red", env=env, check=False)
    assert refused.returncode == 2 and "colour:red" in refused.stderr
    stranger = run_dms(home, "view", "list", env={"DMS_USER": "nobody"}, check=False)
    assert stranger.returncode == 3


# -- bundles ------------------------------------------------------------------------------------------------

def test_the_bundle_of_all_results_holds_exactly_the_filtered_list(as_user):
    import io
    import json
    import zipfile

    cora = as_user("cora")
    html = cora.get("/search", params={"q": "lid", "f": "type:minutes", "limit": 100}).text
    query = unescape(re.search(r'action="/bundles".*?name="query" value="([^"]*)"', html, re.S).group(1))
    assert query == "(lid) type:minutes"
    answer = cora.post("/bundles", data={"csrf": _csrf(cora), "query": query})
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(answer.content)).read("manifest.json"))
    assert sorted(r["document_id"] for r in manifest) == sorted(_ids(html)) and len(manifest) == _total(html)
    # a query read as plain words would be bundled differently from what is listed: no bundle button then
    assert 'action="/bundles"' not in cora.get("/search", params={"q": '"lid', "f": "type:minutes"}).text


def test_a_bundle_of_the_ticked_results_holds_exactly_those_documents_and_says_how_they_were_chosen(as_user):
    import io
    import json
    import zipfile

    cora = as_user("cora")
    html = cora.get("/search", params={"q": "hinge", "limit": 10}).text
    assert 'value="bundle"' in html
    picked = _ids(html)[1:4]
    answer = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "bundle", "doc": picked})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(r["document_id"] for r in json.loads(bundle.read("manifest.json"))) == sorted(picked)
    assert json.loads(bundle.read("bundle.json"))["selection"] == {"kind": "documents", "value": sorted(picked)}
    unknown = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "bundle", "doc": [999999]})
    assert unknown.status_code == 404


# -- bulk actions -------------------------------------------------------------------------------------------

def test_selected_hits_go_under_a_new_hold_and_then_more_are_added_to_it(as_user, lists_settings):
    cora = as_user("cora")
    ids = _ids(cora.get("/search", params={"q": "hinge", "limit": 10}).text)
    placed = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "hold", "new_matter": "Hinge dispute",
                                      "doc": ids[:2]})
    assert placed.status_code == 303 and placed.headers["location"].startswith("/holds/")
    with Dms(lists_settings) as archive:
        assert holds.documents(archive, "Hinge dispute") == sorted(ids[:2])
    page = cora.get("/search", params={"q": "hinge"}).text
    assert '<option value="Hinge dispute">' in page
    added = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "hold", "matter": "Hinge dispute",
                                     "doc": ids[1:4]})
    assert added.status_code == 303
    with Dms(lists_settings) as archive:
        assert holds.documents(archive, "Hinge dispute") == sorted(ids[:4])
        entries = audit.history(archive.catalog, "matter:Hinge dispute")
        extended = [e for e in entries if e["action"] == "hold extended"]
        assert len(extended) == 1 and extended[0]["details"]["documents_added"] == sorted(ids[2:4])
        assert extended[0]["user"] == "cora"
    # a held document cannot be retired now
    assert cora.post(f"/documents/{ids[3]}/retire", data={"csrf": _csrf(cora), "reason": "x"}).status_code != 303


def test_a_released_hold_takes_no_more_documents_and_a_viewer_may_not_hold(as_user, lists_settings):
    cora, mona, vera = as_user("cora"), as_user("mona"), as_user("vera")
    ids = _ids(cora.get("/search", params={"q": "thermostat", "limit": 5}).text)
    assert cora.post("/bulk", data={"csrf": _csrf(cora), "action": "hold", "new_matter": "Short matter",
                                    "doc": ids[:1]}).status_code == 303
    with Dms(lists_settings) as archive:
        holds.release(archive, "Short matter", "mona", "settled")
    refused = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "hold", "matter": "Short matter",
                                       "doc": ids[1:2]})
    assert refused.status_code == 400 and "released" in refused.text
    assert 'id="bulk"' not in vera.get("/search", params={"q": "thermostat"}).text
    assert vera.post("/bulk", data={"csrf": _csrf(vera), "action": "hold", "new_matter": "Nope",
                                    "doc": ids[:1]}).status_code == 403
    nothing = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "hold", "new_matter": "Empty"})
    assert nothing.status_code == 400 and "select at least one" in nothing.text
    assert mona  # the manager who released it


def test_selected_hits_are_linked_to_a_change_request_with_a_reason(as_user, lists_settings):
    cora = as_user("cora")
    ids = _ids(cora.get("/search", params={"q": "hinge", "limit": 5}).text)[:2]
    assert len(ids) == 2
    done = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "link", "target": "CR-2023-003",
                                    "link_type": "relates_to", "reason": "same hinge question", "doc": ids})
    assert done.status_code == 303 and done.headers["location"] == "/changes/CR-2023-003"
    with Dms(lists_settings) as archive:
        made = [m for m in archive.catalog.manual_links() if m["reason"] == "same hinge question"]
    assert sorted(m["source"] for m in made) == sorted(f"doc:{i}" for i in ids)
    assert {m["target"] for m in made} == {"change_request:CR-2023-003"} and {m["type"] for m in made} == {"relates_to"}
    unexplained = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "link", "target": "CR-2023-003",
                                           "reason": " ", "doc": ids})
    assert unexplained.status_code == 400 and "reason" in unexplained.text


def test_a_bulk_link_that_fails_halfway_writes_nothing_leaves_no_stale_graph_and_links_none_twice(as_user,
                                                                                                     lists_settings):
    from dms.graph import graph_for
    from dms.graph.manual import add_link
    from dms.records import retire

    cora = as_user("cora")
    ids = _ids(cora.get("/search", params={"q": "thermostat", "limit": 6}).text)[:3]
    with Dms(lists_settings) as archive:
        retire(archive, str(ids[2]), "cora", "superseded copy")
        before = archive.catalog.manual_links()
    refused = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "link", "target": "CR-2023-004",
                                       "reason": "thermostat question", "doc": ids})
    assert refused.status_code == 400 and f"doc:{ids[2]}" in refused.text
    with Dms(lists_settings) as archive:
        assert archive.catalog.manual_links() == before
        # links made after the failure get their own ids: the graph shows them, not the ones never saved
        made = [add_link(archive, f"doc:{a}", f"doc:{b}", "relates_to", "after the refusal", "cora")
                for a, b in ((1, 2), (3, 4))]  # as many as the refused ones: the ids they would have had
        manual = {d["manual"]: (u, v) for u, v, d in graph_for(archive).edges(data=True) if "manual" in d}
        assert [manual[m] for m in made] == [("doc:1", "doc:2"), ("doc:3", "doc:4")]
        assert manual == {m["id"]: (m["source"], m["target"]) for m in archive.catalog.manual_links()
                          if m["source"] in manual.get(m["id"], ())}  # every hand link in the graph is on record
    for _ in range(2):  # the same links asked for twice are made once
        done = cora.post("/bulk", data={"csrf": _csrf(cora), "action": "link", "target": "CR-2023-004",
                                        "reason": "thermostat question", "doc": ids[:2]})
        assert done.status_code == 303
    with Dms(lists_settings) as archive:
        assert len([m for m in archive.catalog.manual_links() if m["reason"] == "thermostat question"]) == 2


# -- titles of tables ---------------------------------------------------------------------------------------

def test_csv_reports_and_untitled_workbooks_get_titles_a_person_would_give(dms, tmp_path):
    from dms.ingest.pipeline import ingest

    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "returns.csv").write_text("Report,RPT-KX200-2023-06,Date,2023-06-28\nMonth,Retailer,Sold\n2023-04,A,5\n")
    (folder / "retailers.csv").write_text("Retailer;Country;Units\nBrightwater;DE;10\n")
    write_xlsx(folder / "sales.xlsx", {"Sales": [["Month", "Retailer", "Sold"], ["2023-04", "A", 5]]})
    ingest(dms, [folder])
    titles = {d.name: d.version.title for d in dms.catalog.graph_documents()}
    assert titles["returns.csv"] == "Report RPT-KX200-2023-06 of 2023-06-28"
    assert titles["retailers.csv"] == "Table of Retailer, Country, Units"
    assert titles["sales.xlsx"] == "Table of Month, Retailer, Sold"


def test_the_sample_reports_are_listed_under_a_sensible_title(as_user):
    html = unescape(as_user("vera").get("/search", params={"q": "RPT-VL310-2022-12"}).text)
    first = re.search(r'class="title" href="[^"]+">([^<]+)<', html).group(1)
    assert first == "Report RPT-VL310-2022-12 of 2022-12-28"
    assert REPO.joinpath("archive/VL310/reports/RPT-VL310-2022-12.csv").read_text().startswith("Report,")
