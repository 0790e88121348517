"""The web UI and JSON API do what the CLI does, through the same library: search, documents, links,
trace, path, timeline, products, change requests, problems, uploads."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from conftest import csrf_of, run_json, write_pdf

from dms.app import Dms
from dms.graph import graph_for, node_for, trace


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="title" href="/documents/(\d+)', html)]


# -- search ------------------------------------------------------------------------------------------------


def test_the_search_api_gives_what_dms_search_json_gives(client_for, web_settings):
    api = client_for("vera").get("/api/v1/search", params={"q": "lid hinge", "limit": 20}).json()
    cli = run_json(web_settings.home, "search", "lid hinge", "--limit", "20")
    assert api["total"] == cli["total"] > 0
    assert [h["id"] for h in api["hits"]] == [h["id"] for h in cli["hits"]]
    assert api["facets"] == cli["facets"]


def test_the_search_page_lists_hits_with_snippets_pages_and_facets(client_for):
    html = client_for("vera").get("/search", params={"q": "lid hinge"}).text
    assert len(_ids(html)) == 20  # the page's default
    assert "<mark>" in html and 'class="page">p.&nbsp;' in html
    for facet in ("type", "product", "year", "party"):
        assert f"<h3>{facet}</h3>" in html, facet


def test_a_facet_link_refines_the_search(client_for):
    vera = client_for("vera")
    html = vera.get("/search", params={"q": "lid"}).text
    link = re.search(r'class="facet" href="([^"]+)">minutes<', html).group(1).replace("&amp;", "&")
    refined = vera.get(link).text
    total = lambda page: int(re.search(r"([\d,]+) document\(s\)", page).group(1).replace(",", ""))  # noqa: E731
    assert 0 < total(refined) < total(html)
    for doc_id in _ids(refined):
        assert vera.get(f"/api/v1/documents/{doc_id}").json()["type"] == "minutes"


def test_a_party_facet_refines_to_that_party(client_for):
    vera = client_for("vera")
    facets = vera.get("/api/v1/search", params={"q": "lid", "limit": 1}).json()["facets"]
    party = next(p for p in facets["party"] if " " in p)
    html = vera.get("/search", params={"q": "lid"}).text
    link = next(href.replace("&amp;", "&") for href, text in re.findall(r'class="facet" href="([^"]+)">([^<]+)<', html)
                if text == party)
    refined = _ids(vera.get(link).text)
    assert refined
    for doc_id in refined:
        assert party in vera.get(f"/api/v1/documents/{doc_id}").json()["parties"]


def test_sorting_paging_and_did_you_mean(client_for):
    vera = client_for("vera")
    newest = vera.get("/api/v1/search", params={"q": "lid", "sort": "newest", "limit": 5}).json()["hits"]
    dates = [h["date"] for h in newest if h["date"]]
    assert dates == sorted(dates, reverse=True)
    first = _ids(vera.get("/search", params={"q": "lid", "limit": 5}).text)
    second = _ids(vera.get("/search", params={"q": "lid", "limit": 5, "page": 2}).text)
    assert len(first) == len(second) == 5 and not set(first) & set(second)
    html = vera.get("/search", params={"q": "thermostet"}).text
    assert 'class="dym"' in html and "thermostat" in html


def test_a_bad_query_is_explained_and_an_empty_one_shows_the_syntax(client_for):
    vera = client_for("vera")
    bad = vera.get("/search", params={"q": 'date:[2023-13 to *]'})
    assert bad.status_code == 400 and 'class="error"' in bad.text
    slip = vera.get("/api/v1/search", params={"q": '"open phrase'})  # a typing slip is searched as words, with a note
    assert slip.status_code == 200 and slip.json()["notice"] == "the unclosed quote was read as plain words"
    strict = vera.get("/api/v1/search", params={"q": '"open phrase', "strict": "true"})
    assert strict.status_code == 400 and "closing quote" in strict.json()["error"]["message"]
    assert "How to search" in vera.get("/search").text
    assert vera.get("/api/v1/search", params={"q": "lid", "limit": 0}).status_code == 400


# -- documents ---------------------------------------------------------------------------------------------


def _doc_id(web_settings, ref: str) -> int:
    with Dms(web_settings) as app:
        from dms.documents import resolve

        return resolve(app, ref).id


def test_the_document_page_shows_metadata_hits_revisions_links_and_graph(client_for, web_settings):
    doc_id = _doc_id(web_settings, "SPEC-KX200-02 Rev B")
    html = client_for("vera").get(f"/documents/{doc_id}", params={"q": "lid"}).text
    api = client_for("vera").get(f"/api/v1/documents/{doc_id}").json()
    assert api["sha256"] in html and "SPEC-KX200-02 Rev B" in html
    assert "<mark>lid</mark>" in html.lower() or "<mark>Lid</mark>" in html
    assert re.search(r'id="p1"', html) and "hit(s)" in html
    assert [r["revision"] for r in api["revisions"]] == sorted(r["revision"] for r in api["revisions"])
    assert len(api["revisions"]) >= 2 and 'class="revisions"' in html
    assert "supersedes" in html and 'id="links"' in html
    data = json.loads(re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html, re.S)
                      .group(1))
    assert data["root"] == f"doc:{doc_id}" and any(n["data"]["root"] for n in data["nodes"])
    assert {e["data"]["source"] for e in data["edges"]} <= {n["data"]["id"] for n in data["nodes"]}


def test_the_text_api_gives_each_page(client_for, web_settings):
    doc_id = _doc_id(web_settings, "SPEC-KX200-02 Rev B")
    pages = client_for("vera").get(f"/api/v1/documents/{doc_id}/text").json()["pages"]
    with Dms(web_settings) as app:
        assert tuple(pages) == app.catalog.pages(app.catalog.document(doc_id).version.id)


def test_documents_are_found_by_any_reference_in_the_api(client_for, web_settings):
    vera = client_for("vera")
    by_number = vera.get("/api/v1/documents/SPEC-KX200-02 Rev B").json()
    assert vera.get(f"/api/v1/documents/{by_number['sha256'][:12]}").json()["id"] == by_number["id"]
    missing = vera.get("/api/v1/documents/SPEC-NOPE-99")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"


def test_a_link_added_and_removed_in_the_browser_is_kept_on_record(client_for, web_settings):
    cora = client_for("cora")
    a, b = _doc_id(web_settings, "SPEC-KX200-02 Rev B"), _doc_id(web_settings, "CR-2023-003")
    refused = cora.post(f"/documents/{a}/links", data={"target": str(b), "type": "relates_to", "reason": " ",
                                                       "csrf": csrf_of(cora)})
    assert refused.status_code == 400 and "needs a reason" in refused.text
    added = cora.post(f"/documents/{a}/links", data={"target": str(b), "type": "relates_to",
                                                     "reason": "discussed together", "csrf": csrf_of(cora)})
    assert added.status_code == 303
    outgoing = cora.get(f"/api/v1/links/{a}").json()["outgoing"]["relates_to"]
    link = next(i for i in outgoing if i["node"] == f"doc:{b}")
    assert "discussed together" in link["evidence"] and "cora" in link["evidence"]
    page = cora.get(f"/documents/{a}").text
    assert f'action="/links/{link["link_id"]}/remove"' in page
    removed = cora.post(f"/links/{link['link_id']}/remove", data={"reason": "wrong pair", "back": f"/documents/{a}",
                                                                   "csrf": csrf_of(cora)})
    assert removed.status_code == 303 and removed.headers["location"] == f"/documents/{a}"
    assert "relates_to" not in cora.get(f"/api/v1/links/{a}").json()["outgoing"]
    on_record = run_json(web_settings.home, "link", "list", "--all")["links"]
    assert any(r["id"] == link["link_id"] and r["removed_by"] == "cora" and r["removal_reason"] == "wrong pair"
               for r in on_record)


def test_links_through_the_api(client_for, web_settings):
    cora = client_for("cora")
    headers = {"X-CSRF-Token": csrf_of(cora)}
    made = cora.post("/api/v1/links", json={"source": "CR-2023-003", "target": "KX200", "type": "relates_to",
                                            "reason": "api test"}, headers=headers)
    assert made.status_code == 201 and made.json()["by"] == "cora"
    bad = cora.post("/api/v1/links", json={"source": "CR-2023-003", "target": "KX200", "type": "likes",
                                           "reason": "x"}, headers=headers)
    assert bad.status_code == 400 and "unknown link type" in bad.json()["error"]["message"]
    gone = cora.delete(f"/api/v1/links/{made.json()['id']}", params={"reason": "done"}, headers=headers)
    assert gone.status_code == 200


# -- graph ------------------------------------------------------------------------------------------------


def test_trace_in_the_browser_and_the_api_is_the_library_trace(client_for, web_settings):
    vera = client_for("vera")
    with Dms(web_settings) as app:
        g = graph_for(app)
        expected = trace(g, node_for(app, g, "CR-2023-003"), depth=2, limit=500)
    api = vera.get("/api/v1/trace/CR-2023-003", params={"limit": 500}).json()
    assert api["total"] == expected.total > 0
    assert [d["id"] for d in api["documents"]] == [d["id"] for d in expected.documents]
    html = vera.get("/trace", params={"ref": "CR-2023-003", "limit": 500}).text
    assert set(map(int, re.findall(r'<li><a href="/documents/(\d+)"', html))) == {d["id"] for d in expected.documents}
    assert 'class="evidence"' in html


def test_path_timeline_and_graph_export(client_for):
    vera = client_for("vera")
    path = vera.get("/api/v1/path", params={"a": "CR-2023-003", "b": "KX200"}).json()
    assert path["paths"] and all(hop["evidence"] for hop in path["paths"][0])
    assert "How are they connected" in vera.get("/path", params={"a": "CR-2023-003", "b": "KX200"}).text
    events = vera.get("/api/v1/timeline/KX200").json()["events"]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    graphml = vera.get("/graph/export", params={"ref": "CR-2023-003", "format": "graphml"})
    assert graphml.headers["content-disposition"].startswith("attachment")
    assert ET.fromstring(graphml.content).tag.endswith("graphml")
    node_link = vera.get("/graph/export", params={"ref": "CR-2023-003", "format": "json"}).json()
    assert any(n["id"] == "change_request:CR-2023-003" for n in node_link["nodes"])
    assert vera.get("/graph/export", params={"format": "pdf"}).status_code == 400


def test_the_graph_of_a_hub_is_cut_to_a_readable_size(client_for, web_settings):
    from dms.web.graphview import elements

    with Dms(web_settings) as app:
        g = graph_for(app)
        data = elements(g, "product:KX200", radius=2, most=40)
    assert len(data["nodes"]) == 40 < data["total_nodes"]
    assert next(n for n in data["nodes"] if n["data"]["root"])["data"]["id"] == "product:KX200"
    kept = {n["data"]["id"] for n in data["nodes"]}
    assert all(e["data"]["source"] in kept and e["data"]["target"] in kept for e in data["edges"])
    api = client_for("vera").get("/api/v1/graph/KX200", params={"radius": 2}).json()
    assert len(api["nodes"]) == min(150, api["total_nodes"])


def test_the_product_page_has_a_timeline_and_documents_by_type(client_for):
    html = client_for("vera").get("/products/KX200").text
    dates = re.findall(r'<tr class="t-[\w-]+"><td>([\d-]+)</td>', html)
    assert len(dates) > 10 and dates == sorted(dates)
    for kind in ("specification", "minutes", "change request"):
        assert f"<summary>{kind} <small>" in html, kind
    assert client_for("vera").get("/products/CR-2023-003").status_code == 400


# -- change requests -------------------------------------------------------------------------------------


def _post(client, path, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client)})


def test_a_change_request_runs_from_draft_to_closed_in_the_browser(client_for, web_settings):
    cora, mona, theo = client_for("cora"), client_for("mona"), client_for("theo")
    ada = client_for("ada")  # assesses and waives what cora applied for: nobody does either for their own request
    created = _post(cora, "/changes", title="Stronger lid hinge", products="KX200", affected="SPEC-KX200-02",
                    description="Hinge cracks", reason="returns")
    number = created.headers["location"].rsplit("/", 1)[1]
    state = lambda: cora.get(f"/api/v1/changes/{number}").json()  # noqa: E731
    assert _post(cora, f"/changes/{number}/submit").status_code == 303
    assert _post(cora, f"/changes/{number}/review").status_code == 303
    incomplete = _post(ada, f"/changes/{number}/assess", relevance="high", revision=str(state()["revision"]))
    assert incomplete.status_code == 400 and "no decision without a complete assessment" in incomplete.text
    assert state()["state"] == "under review"
    assert _post(ada, f"/changes/{number}/assess", relevance="high", risks="tooling delay:2:3",
                 benefits="fewer returns", cost_once="1200", cost_recurring="0",
                 schedule_impact="2 weeks").status_code == 303
    self_decision = _post(cora, f"/changes/{number}/decide", outcome="approved", rationale="ok")
    assert self_decision.status_code == 403 and state()["state"] == "assessed"
    assert _post(mona, f"/changes/{number}/decide", outcome="approved", rationale="worth it").status_code == 303
    assert _post(theo, f"/changes/{number}/authorize").status_code == 303
    assert _post(cora, f"/changes/{number}/implement").status_code == 303
    blocked = _post(cora, f"/changes/{number}/close")
    assert blocked.status_code == 400 and "not yet amended" in blocked.text and state()["state"] == "implemented"
    own_waiver = _post(cora, f"/changes/{number}/close", waivers="SPEC-KX200-02=covered by drawing update")
    assert own_waiver.status_code == 400 and "cannot waive its amendments" in own_waiver.text
    assert _post(ada, f"/changes/{number}/close", waivers="SPEC-KX200-02=covered by drawing update").status_code == 303
    final = state()
    assert final["state"] == "closed" and final["decision"] == "approved" and final["authorizer"] == "theo"
    assert [h["to"] for h in final["history"]] == ["draft", "submitted", "under review", "assessed", "decided",
                                                   "authorized", "implemented", "closed"]
    page = cora.get(f"/changes/{number}").text
    assert "waived: covered by drawing update" in page and "worth it" in page
    report = cora.get(f"/changes/{number}/report")
    assert report.status_code == 200 and number in report.text
    assert "style-src 'unsafe-inline'" in report.headers["content-security-policy"]
    assert "script-src" not in report.headers["content-security-policy"]


def test_a_stale_form_is_refused_and_changes_nothing(client_for):
    cora = client_for("cora")
    number = _post(cora, "/changes", title="Stale form test").headers["location"].rsplit("/", 1)[1]
    revision = cora.get(f"/api/v1/changes/{number}").json()["revision"]
    _post(cora, f"/changes/{number}/edit", description="first edit", revision=str(revision))
    stale = _post(cora, f"/changes/{number}/edit", description="second edit", revision=str(revision))
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert cora.get(f"/api/v1/changes/{number}").json()["description"] == "first edit"


def test_change_requests_through_the_api_with_a_token(client_for, web_settings):
    from dms import auth

    with Dms(web_settings) as app:
        _, cora_token = auth.create_token(app.catalog, "cora", "ci", "cora")
        _, mona_token = auth.create_token(app.catalog, "mona", "ci", "mona")
        _, ada_token = auth.create_token(app.catalog, "ada", "ci", "ada")
    api = client_for(None)
    as_cora = {"Authorization": f"Bearer {cora_token}"}
    as_mona = {"Authorization": f"Bearer {mona_token}"}
    as_ada = {"Authorization": f"Bearer {ada_token}"}  # assesses cora's request: she may not
    cr = api.post("/api/v1/changes", json={"title": "API request", "products": ["kx200"]}, headers=as_cora).json()
    assert cr["products"] == ["KX200"] and cr["state"] == "draft"
    number = cr["number"]
    edited = api.patch(f"/api/v1/changes/{number}", json={"reason": "why not"}, headers=as_cora)
    assert edited.json()["reason"] == "why not"
    step = lambda who, **body: api.post(f"/api/v1/changes/{number}/transitions", json=body, headers=who)  # noqa: E731
    assert step(as_cora, action="submit").json()["state"] == "submitted"
    wrong = step(as_cora, action="decide", outcome="approved", rationale="x")
    assert wrong.status_code == 403
    illegal = step(as_mona, action="authorize")
    assert illegal.status_code == 400 and "cannot authorize" in illegal.json()["error"]["message"]
    assert step(as_cora, action="review").json()["state"] == "under review"
    assert "cannot assess it" in step(as_cora, action="assess").json()["error"]["message"]
    assessed = step(as_ada, action="assess", assessment={"relevance": "r", "risks": ["a:1:1"], "benefits": "b",
                                                          "cost_once": 1, "cost_recurring": 0,
                                                          "schedule_impact": "none"})
    assert assessed.json()["state"] == "assessed"
    assert step(as_mona, action="decide", outcome="rejected", rationale="not now").json()["decision"] == "rejected"
    assert step(as_cora, action="close").json()["state"] == "closed"
    listed = api.get("/api/v1/changes", params={"state": "closed"}, headers=as_cora).json()["changes"]
    assert number in {r["number"] for r in listed}
    assert api.get(f"/api/v1/changes/{number}/check", headers=as_cora).status_code == 200


def test_requests_on_file_in_the_archive_are_listed_and_shown(client_for):
    vera = client_for("vera")
    html = vera.get("/changes", params={"archive": "1"}).text
    assert "CR-2023-003" in html
    page = vera.get("/changes/CR-2023-003").text
    assert "on file" in page and "Decided in" in page and 'data-action=' not in page
    assert vera.get("/api/v1/changes/CR-2023-003").json()["state"] == "on file"
    assert vera.get("/changes", params={"state": "flying"}).status_code == 400
    assert vera.get("/changes", params={"since": "last week"}).status_code == 400


# -- dashboard, problems, upload --------------------------------------------------------------------------


def test_the_dashboard_counts_documents_problems_and_requests(client_for, web_settings):
    html = client_for("vera").get("/").text
    with Dms(web_settings) as app:
        stats = app.catalog.stats()
    assert f"<b>{stats['documents']:,}</b> documents" in html
    assert f"<b>{stats['problems']}</b> problems" in html
    assert "Recently added" in html and "Change requests by state" in html


def test_problems_page_and_api_list_the_broken_files_with_reasons(client_for, web_settings):
    vera = client_for("vera")
    api = vera.get("/api/v1/problems").json()
    assert api["total"] >= 2
    html = vera.get("/problems").text
    for p in api["problems"]:
        assert p["path"] in html
    broken = next(p for p in api["problems"] if p["path"].endswith(".pdf"))
    download = vera.get(f"/documents/{broken['id']}/original")
    assert download.status_code == 200 and download.headers["x-content-sha256"] == broken["sha256"]


def test_an_upload_is_ingested_and_found_by_a_word_inside_it(client_for, tmp_path):
    cora = client_for("cora")
    pdf = write_pdf(tmp_path / "supplier-letter.pdf", ["Dear team,\nthe quillwort gasket ships in March."])
    broken = b"%PDF-1.7\nthis is not really a PDF"
    page = cora.post("/upload", data={"csrf": csrf_of(cora)}, files=[
        ("files", ("supplier-letter.pdf", pdf.read_bytes(), "application/pdf")),
        ("files", ("broken.pdf", broken, "application/pdf"))])
    assert page.status_code == 200
    assert "supplier-letter.pdf" in page.text and "broken.pdf" in page.text
    assert 'class="sev-error"' in page.text  # the broken one is reported with its reason
    hits = cora.get("/api/v1/search", params={"q": "quillwort"}).json()["hits"]
    assert len(hits) == 1 and hits[0]["path"].endswith("/cora/supplier-letter.pdf")
    problems = cora.get("/api/v1/problems").json()["problems"]
    kept = next(p for p in problems if p["path"].endswith("/cora/broken.pdf"))
    assert cora.get(f"/documents/{kept['id']}/original").content == broken  # the original is kept


def test_uploading_the_same_name_twice_keeps_both(client_for):
    cora = client_for("cora")
    headers = {"X-CSRF-Token": csrf_of(cora)}
    first = cora.post("/api/v1/documents", headers=headers,
                      files={"files": ("note.txt", b"first marmalade note", "text/plain")}).json()
    second = cora.post("/api/v1/documents", headers=headers,
                       files={"files": ("note.txt", b"second marmalade note", "text/plain")}).json()
    assert first["files"][0]["stored_as"] != second["files"][0]["stored_as"]
    assert second["files"][0]["stored_as"].endswith("note (2).txt")
    assert cora.get("/api/v1/search", params={"q": "marmalade"}).json()["total"] == 2


def test_an_empty_upload_is_explained(client_for):
    cora = client_for("cora")
    response = cora.post("/upload", data={"csrf": csrf_of(cora)}, files={"files": ("", b"", "text/plain")})
    assert response.status_code == 400 and "choose at least one file" in response.text


def test_validation_errors_are_plain_400s(client_for):
    vera = client_for("vera")
    response = vera.get("/api/v1/search", params={"q": "lid", "page": "two"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("page:")


def test_a_user_sets_their_e_mail_address_on_the_account_page(client_for, web_settings):
    from dms import users

    vera = client_for("vera")
    assert vera.post("/account/email", data={"email": "vera@nordlicht.example",
                                             "csrf": csrf_of(vera)}).status_code == 303
    bad = vera.post("/account/email", data={"email": "not an address", "csrf": csrf_of(vera)})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.text
    with Dms(web_settings) as app:
        assert users.get(app.catalog, "vera").email == "vera@nordlicht.example"
    assert 'value="vera@nordlicht.example"' in vera.get("/account").text


def test_uploads_of_one_name_at_the_same_moment_each_get_a_file_of_their_own(tmp_path):
    """Two servers (or threads) saving the same file name at once: each gets a new file, none an error (the name
    is taken with O_EXCL, not checked first and created after)."""
    import threading

    from dms.web.uploads import _create_unique

    made, failed, start = [], [], threading.Barrier(16)

    def save_one():
        start.wait()
        try:
            target, out = _create_unique(tmp_path, "twice.txt")
            with out:
                out.write(b"x")
            made.append(target.name)
        except OSError as exc:
            failed.append(exc)

    threads = [threading.Thread(target=save_one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed and len(set(made)) == 16
    assert sorted(made) == sorted(["twice.txt"] + [f"twice ({n}).txt" for n in range(2, 17)])
