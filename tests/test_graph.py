"""The cross-reference graph on the sample archive, checked against the generator's ground truth."""

import json

import pytest
from conftest import REPO, run_json

from dms.app import Dms
from dms.config import load_settings
from dms.errors import NotFound
from dms.graph import graph_for, links, node_for, trace
from dms.ingest.pipeline import ingest
from dms.samplegen import TRUTH_FILE

ARCHIVE = REPO / "archive"
TRUTH = json.loads((ARCHIVE / TRUTH_FILE).read_text())
FILES = TRUTH["files"]


def _settings(home, database_url, **more):
    """This test's settings: its PostgreSQL catalog when it runs on PostgreSQL (conftest.database_url)."""
    return load_settings(environ={**({"DMS_DATABASE_URL": database_url} if database_url else {}), **more}, home=home)


@pytest.fixture
def world(sample_world):
    return sample_world


def rel(path: str) -> str:
    return path.split(str(ARCHIVE) + "/", 1)[1]


def edges(g, kind):
    return {(u, v) for u, v, d in g.edges(data=True) if d["type"] == kind}


def expected_trace(cr: str) -> set[str]:
    """Documents that are the change request, cite it (scans included, by their OCR text), or are attachments
    that cite it."""
    found = {f["path"] for f in FILES if f["number"] == cr or cr in f["mentions"]}
    found |= {scan["path"] for scan in TRUTH["scans"] if cr in scan["cites"]}
    for f in FILES:
        for number, att in enumerate(f["attachments"], start=1):
            if cr in att["mentions"]:
                found.add(f"{f['path']}#{number}:{att['name']}")
    return found


def test_trace_of_each_change_request_is_exactly_what_cites_it(world):
    app, g = world
    crs = sorted({f["number"] for f in FILES if f["type"] == "change request"})
    assert len(crs) >= 10
    for cr in crs:
        result = trace(g, node_for(app, g, cr), depth=1, limit=1000)
        assert {rel(d["path"]) for d in result.documents} == expected_trace(cr), cr
        assert result.total == len(result.documents)
        assert all(d["via"] and d["via"][-1]["evidence"] for d in result.documents)


def test_decided_in_and_amends_match_the_ground_truth(world):
    app, g = world
    decided = {(u.split(":", 1)[1], rel(g.nodes[v]["path"])) for u, v in edges(g, "decided_in")}
    def minutes_of(f):
        return next(m["path"] for m in FILES if m["number"] == f["decided_in"] and "review" not in m["path"])

    want = {(f["number"], minutes_of(f))
            for f in FILES if f.get("decided_in")}
    assert decided == want
    amends = {(rel(g.nodes[u]["path"]), v.split(":", 1)[1]) for u, v in edges(g, "amends")}
    assert amends == {(f["path"], f["amends"]) for f in FILES if f.get("amends")}


def test_revision_chains_supersede_in_order(world):
    app, g = world
    got = {(rel(g.nodes[u]["path"]), rel(g.nodes[v]["path"])) for u, v in edges(g, "supersedes")}
    assert got == {(f["path"], f["supersedes"]) for f in FILES if f.get("supersedes")}
    for u, v in edges(g, "supersedes"):
        assert g.nodes[u]["revision"] > g.nodes[v]["revision"]


def test_email_replies_follow_in_reply_to(world):
    app, g = world
    by_id = {f["message_id"]: f["path"] for f in FILES if f.get("message_id")}
    got = {(rel(g.nodes[u]["path"]), rel(g.nodes[v]["path"])) for u, v in edges(g, "reply_to")}
    assert got == {(f["path"], by_id[f["reply_to"]]) for f in FILES if f.get("reply_to")}


def test_deeper_trace_reaches_the_revision_the_amending_spec_superseded(world):
    app, g = world
    spec = next(f for f in FILES if f.get("amends") and f.get("supersedes"))
    result = trace(g, node_for(app, g, spec["amends"]), depth=2, limit=1000)
    older = next(d for d in result.documents if rel(d["path"]) == spec["supersedes"])
    assert older["depth"] == 2 and [link["type"] for link in older["via"]] == ["amends", "supersedes"]


def test_identifier_variants_name_the_same_node_and_look_alikes_do_not(world):
    app, g = world
    cr = next(f["number"] for f in FILES if f["type"] == "change request")
    node = node_for(app, g, cr)
    assert node_for(app, g, cr.lower().replace("-", " ")) == node
    assert node_for(app, g, cr.replace("-", "_")) == node
    with pytest.raises(NotFound):
        node_for(app, g, cr[:-2])  # CR-2023-0 is not CR-2023-003


def test_trace_pages_a_hub_and_keeps_the_total(world):
    app, g = world
    first = trace(g, node_for(app, g, "KX200"), depth=1, limit=10)
    second = trace(g, node_for(app, g, "KX200"), depth=1, limit=10, offset=10)
    assert first.total == second.total > 20
    assert len(first.documents) == 10 and not {d["id"] for d in first.documents} & {d["id"] for d in second.documents}


def test_links_are_grouped_by_type_with_evidence(world):
    app, g = world
    spec = next(f for f in FILES if f.get("amends") and f.get("supersedes"))
    node = node_for(app, g, str(ARCHIVE / spec["path"]))
    found = links(g, node)
    assert {"revision_of", "mentions", "amends", "supersedes", "about"} <= set(found["outgoing"])
    [older] = found["outgoing"]["supersedes"]
    assert older["evidence"].startswith(spec["number"])


@pytest.mark.both_catalogs
def test_trace_json_shape_on_the_command_line(home):
    run_json(home, "ingest", str(ARCHIVE / "KX200"))
    cr = next(f["number"] for f in FILES if f["type"] == "change request" and f["path"].startswith("KX200/"))
    result = run_json(home, "trace", cr, "--depth", "1")
    assert result["root"] == f"change_request:{cr}" and result["total"] == len(result["documents"]) > 0
    doc = result["documents"][0]
    assert {"id", "title", "path", "depth", "via"} <= doc.keys()
    assert {"from", "to", "type", "evidence"} <= doc["via"][0].keys()


def test_linked_filter_keeps_only_documents_the_graph_ties_to_the_reference(world):
    from dms.graph import linked_ids
    from dms.index import search

    app, g = world
    cr = next(f for f in FILES if f.get("decided_in"))["number"]
    tied = {d["id"] for d in trace(g, node_for(app, g, cr), depth=2, limit=1000).documents}
    found = search(app.catalog, app.backend, app.matcher, f"linked:{cr} type:minutes", limit=100,
                   linked=lambda ref: linked_ids(app, ref))
    minutes = {d for d in tied if g.nodes[f"doc:{d}"]["type"] == "minutes"}
    assert {h.id for h in found.hits} == minutes and found.total == len(minutes) > 0


def test_linked_filter_without_a_graph_is_a_clear_error(world):
    from dms.errors import QueryError
    from dms.index import search

    app, _ = world
    with pytest.raises(QueryError, match="linked: needs the cross-reference graph"):
        search(app.catalog, app.backend, app.matcher, "linked:KX200 lid")


@pytest.mark.both_catalogs
def test_the_graph_is_read_from_link_rows_that_follow_the_catalog(tmp_path, home, database_url):
    from dms.catalog import linkrows
    from dms.graph.stamp import stamp
    from dms.graph.sync import current

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "CR-2024-001.txt").write_text("Change Request CR-2024-001\nDate: 2024-01-02\nAffects SPEC-KX200-01 Rev A")
    with Dms(_settings(home, database_url)) as app:
        ingest(app, [inbox])
        assert current(app) and linkrows.link_count(app.catalog) > 0  # the ingest derived its links
        assert not (home / "graph.pickle").exists()  # no graph is kept outside the catalog
        before = stamp(app)
        (inbox / "MTG-2024-01-10.md").write_text("# Minutes MTG-2024-01-10\nCR-2024-001 decision: approved.\n")
        ingest(app, [inbox])
        assert stamp(app) != before
        g = graph_for(app)
        minutes = next(d["id"] for d in trace(g, "change_request:CR-2024-001", depth=1).documents
                       if d["title"].startswith("Minutes"))
        assert [d["outcome"] for _, d in g.get_edge_data("change_request:CR-2024-001", f"doc:{minutes}").items()
                if d["type"] == "decided_in"] == ["approved"]


def test_an_identifier_no_document_defines_can_still_be_traced(world):
    app, g = world
    order = next(m for f in FILES for m in f["mentions"] if m.startswith("PO-"))
    assert not any(f["number"] == order for f in FILES)
    result = trace(g, node_for(app, g, order), depth=1, limit=100)
    assert {rel(d["path"]) for d in result.documents} == expected_trace(order)


@pytest.mark.both_catalogs
def test_cycles_of_links_are_walked_once(tmp_path, home, database_url):
    from dms.graph.manual import add_link

    inbox = tmp_path / "in"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"CR-2024-00{n + 1}.txt").write_text(f"Change Request CR-2024-00{n + 1}\nDate: 2024-01-0{n + 1}\n")
    with Dms(_settings(home, database_url, DMS_USER="anna")) as app:
        ingest(app, [inbox])
        docs = sorted(n for n, a in graph_for(app).nodes(data=True) if a["kind"] == "document")
        for a, b in zip(docs, docs[1:] + docs[:1]):  # a ring: 1 -> 2 -> 3 -> 1
            add_link(app, a, b, "relates_to", "same hinge problem")
        result = trace(graph_for(app), docs[0], depth=10)
        assert sorted(d["id"] for d in result.documents) == sorted(int(n.split(":")[1]) for n in docs[1:])
        assert max(d["depth"] for d in result.documents) == 1


def test_show_lists_each_citation_with_its_page_and_words(world):
    from dms.documents import show

    app, _ = world
    spec = next(f for f in FILES if f.get("amends"))
    shown = show(app, str(ARCHIVE / spec["path"]))
    [citation] = [c for c in shown["citations"] if c["identifier"] == spec["amends"]]
    assert citation["page"] >= 1 and spec["amends"] in citation["snippet"] and "implements" in citation["snippet"]
