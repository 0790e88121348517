"""Trace and path from the link rows stay cheap around hubs (issue 18): a trace reads a bounded number of
statements whatever the size of the product or number it starts from; a path search weighs its two frontiers by
their link rows and does not fetch the neighbours of a party named in every document when the other side is
cheaper; the links of a hop are read over its document end; and the answers are those of the networkx graph. On a
synthetic archive (written straight into the catalog, as bench/graph_rows.py does), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random

import networkx as nx
import pytest

from dms.app import Dms
from dms.catalog import samples
from dms.config import load_settings
from dms.graph import build_graph, trace
from dms.graph.explore import orphans, paths
from dms.graph.linktypes import IDENTIFIES, REVISION_OF, SUPERSEDES
from dms.graph.rowgraph import RowGraph

pytestmark = pytest.mark.both_catalogs

HUB = "HUB100"  # the product every document names
PARTIES = ("Party Everywhere", "Party Odd", "Party Even")  # the first named by every document
NO_FAMILY = "CR-2024-12345"  # the number of the last two reports (documents 237 and 240)
STATEMENTS_PER_TRACE = 12  # at most, for any root and either depth (7 on both catalogs when written)


def _archive(app: Dms, docs: int, seed: int = 5) -> None:
    """`docs` documents about one product, naming two of three parties, citing change requests, with revision
    chains of specifications: every document is two links from every other through the product and a party."""
    rnd = random.Random(seed)
    crs = [f"CR-2024-{k:03d}" for k in range(1, 21)]
    specs = [f"SPEC-{HUB}-{k:02d}" for k in range(1, 6)]
    rows_docs, rows_versions, rows_pages, rows_refs = [], [], [], []
    for i in range(1, docs + 1):
        kind = ("change request", "specification", "report")[i % 3]
        number = crs[i % len(crs)] if kind == "change request" else rnd.choice(specs) if kind == "specification" \
            else None
        revision = "ABCDEFGH"[i % 8] if kind == "specification" else None
        parties = [PARTIES[0], PARTIES[1 + i % 2]]
        date = f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        rows_docs.append((i, f"/synthetic/{kind}/{i}.txt", f"{i}.txt", i, "2026-01-01"))
        rows_versions.append((i, i, 1, f"{i:064x}", 100, 0, "2026-01-01", "ok", "text", "text", f"{kind} {i}", kind,
                              date, number, revision, json.dumps([HUB]), json.dumps(parties)))
        rows_pages.append((i, 1, f"Document {i} about {HUB}."))
        for k in range(3):
            cited = rnd.choice(crs)
            rows_refs.append((i, "change_request", cited, None, 1, 40 + k, f"… {cited} …"))
    # two reports carrying a number of no family (of a change request's shape, one digit too many): its entity is
    # "document:<NUMBER>", of kind document too, and no document for trace
    for k in (-1, -4):
        rows_versions[k] = (*rows_versions[k][:13], NO_FAMILY, None, *rows_versions[k][15:])
    samples.load_synthetic(app.catalog, rows_docs, rows_versions, rows_pages, rows_refs)


@pytest.fixture
def hub(request, catalog_kind, tmp_path):
    """An archive of 240 documents around one product hub, its link rows derived."""
    from dms.graph.sync import sync

    url = request.getfixturevalue("pg_cluster").new_catalog_database() if catalog_kind == "postgresql" else None
    settings = load_settings(environ={"DMS_OCR": "0", **({"DMS_DATABASE_URL": url} if url else {})},
                             home=tmp_path / "home")
    with Dms(settings) as app:
        _archive(app, 240)
        sync(app)
        yield app


class Counting:
    """The catalog's connection, counting the statements run through it."""

    def __init__(self, conn):
        self._conn, self.statements = conn, 0

    def execute(self, *args):
        self.statements += 1
        return self._conn.execute(*args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _counted(app: Dms, ask) -> tuple[object, int]:
    """What `ask(RowGraph)` answers, and how many statements it ran."""
    real = app.catalog.conn
    app.catalog.conn = counting = Counting(real)
    try:
        return ask(RowGraph(app.catalog, app.matcher)), counting.statements
    finally:
        app.catalog.conn = real


def test_a_trace_runs_a_bounded_number_of_statements_from_a_hub(hub):
    g = build_graph(hub.catalog, hub.matcher)
    roots = [f"product:{HUB}", f"party:{PARTIES[0]}", "change_request:CR-2024-001", "doc:2", "doc:3"]
    for root in roots:
        for depth in (1, 2):
            found, statements = _counted(hub, lambda rg, r=root, d=depth: trace(rg, r, depth=d, limit=10, offset=5))
            assert found.to_dict() == trace(g, root, depth=depth, limit=10, offset=5).to_dict(), (root, depth)
            assert statements <= STATEMENTS_PER_TRACE, (root, depth, statements)
    assert trace(RowGraph(hub.catalog, hub.matcher), f"product:{HUB}").total == 240


def test_a_path_search_does_not_fetch_a_hub_the_other_side_avoids(hub):
    """From a report to a change request: the report's side holds the product and the parties (hundreds of rows
    each), the change request's side its few citing documents: the search grows the cheaper side, so no hub's
    neighbours are fetched, and the paths are those of networkx."""
    g = build_graph(hub.catalog, hub.matcher)
    rg = RowGraph(hub.catalog, hub.matcher)
    found = paths(rg, "doc:3", "change_request:CR-2024-007")
    assert found == paths(g, "doc:3", "change_request:CR-2024-007")
    assert found["length"] == 3
    hubs = {f"product:{HUB}", *(f"party:{p}" for p in PARTIES)}
    assert not hubs & set(rg._near), "a hub's neighbours were fetched"
    undirected = nx.Graph(g.to_undirected(as_view=True))
    assert found["length"] == nx.shortest_path_length(undirected, "doc:3", "change_request:CR-2024-007")


def test_paths_through_hubs_equal_those_of_networkx(hub):
    g = build_graph(hub.catalog, hub.matcher)
    rnd = random.Random(9)
    nodes = sorted(g.nodes)
    for _ in range(25):
        a, b = rnd.sample(nodes, 2)
        assert paths(RowGraph(hub.catalog, hub.matcher), a, b) == paths(g, a, b), (a, b)


def test_the_links_between_a_hub_and_a_document_are_read_over_the_document(hub):
    """A hop's links are read from the document end's rows: the same links either way round, in id order."""
    rg = RowGraph(hub.catalog, hub.matcher)
    forward, backward = rg.between("doc:4", f"party:{PARTIES[0]}")
    assert [d["type"] for d in forward] == ["involves"] and backward == []
    forward, backward = RowGraph(hub.catalog, hub.matcher).between(f"party:{PARTIES[0]}", "doc:4")
    assert forward == [] and [d["type"] for d in backward] == ["involves"]
    (found, statements) = _counted(hub, lambda g: g.between(f"product:{HUB}", "doc:5"))
    assert [d["type"] for d in found[1]] == ["about"] and statements <= 4


def test_a_number_of_no_family_is_no_document_of_a_trace(hub):
    """Its entity is named "document:<NUMBER>" and is of kind document: a trace of the document carrying it walks
    through it (its own number) but lists only documents (it failed with KeyError 'id' at 1M documents)."""
    g = build_graph(hub.catalog, hub.matcher)
    entity = f"document:{NO_FAMILY}"
    assert g.nodes[entity]["kind"] == "document" and entity in RowGraph(hub.catalog, hub.matcher)
    for depth in (1, 2):
        found = trace(RowGraph(hub.catalog, hub.matcher), "doc:240", depth=depth, limit=10**6)
        assert found.to_dict() == trace(g, "doc:240", depth=depth, limit=10**6).to_dict()
        assert [d["id"] for d in found.documents] == [237] and found.total == 1
    assert sorted(d["id"] for d in trace(RowGraph(hub.catalog, hub.matcher), entity, depth=1).documents) == [237, 240]
    assert orphans(RowGraph(hub.catalog, hub.matcher)) == orphans(g)


def test_a_chain_from_the_root_shows_its_own_link_before_one_through_its_number():
    """Two links reach a document at depth 1: straight from the root (supersedes) and through the root's own
    number (revision_of). The root is walked first, so the chain shows the direct link, whatever the order a set
    of the root and its number would take (it changed with the hash seed)."""
    g = nx.MultiDiGraph(change_families=())
    for n in ("doc:1", "doc:2"):
        g.add_node(n, kind="document", id=int(n[4:]), title=n, path=n, type="specification", date="2024-01-01")
    g.add_node("specification:S-1", kind="specification", label="S-1")
    g.add_edge("doc:1", "specification:S-1", type=IDENTIFIES, evidence="it is S-1")
    g.add_edge("doc:2", "specification:S-1", type=REVISION_OF, evidence="it is S-1 Rev B")
    g.add_edge("doc:2", "doc:1", type=SUPERSEDES, evidence="S-1 Rev B supersedes S-1")
    (found,) = trace(g, "doc:1", depth=1).documents
    assert found["via"] == [{"from": "doc:2", "to": "doc:1", "type": SUPERSEDES,
                             "evidence": "S-1 Rev B supersedes S-1"}]


class Recording:
    """The catalog's connection, keeping each statement's text and how many rows it gave."""

    def __init__(self, conn):
        self._conn, self.seen = conn, []

    def execute(self, sql, *args):
        rows = self._conn.execute(sql, *args).fetchall()
        self.seen.append((sql, len(rows)))
        return Rows(rows)

    def __getattr__(self, name):
        return getattr(self._conn, name)


class Rows(list):
    def fetchall(self):
        return list(self)

    def fetchone(self):
        return self[0] if self else None


def test_a_trace_from_a_hub_reads_facts_and_evidence_for_its_page_only(hub):
    """A trace finds every document around the product (240) and sorts them by date, but reads the full facts
    of the page's documents only, and the evidence of the links their chains show only: the rest cost a row id,
    a type and a date each. The answers are those of the networkx graph."""
    from dms.catalog.linkreads import DOC_FACTS

    g = build_graph(hub.catalog, hub.matcher)
    for root in (f"product:{HUB}", f"party:{PARTIES[1]}"):
        for depth in (1, 2):
            real = hub.catalog.conn
            hub.catalog.conn = recording = Recording(real)
            try:
                found = trace(RowGraph(hub.catalog, hub.matcher), root, depth=depth, limit=10, offset=5)
            finally:
                hub.catalog.conn = real
            assert found.to_dict() == trace(g, root, depth=depth, limit=10, offset=5).to_dict(), (root, depth)
            assert found.total > 100 and len(found.documents) == 10
            facts = sum(n for sql, n in recording.seen if DOC_FACTS in sql)
            evidence = sum(n for sql, n in recording.seen if "l.evidence" in sql)
            shown = {(link["from"], link["to"], link["type"]) for d in found.documents for link in d["via"]}
            assert facts == 10, (root, depth, recording.seen)
            assert evidence == len(shown), (root, depth, recording.seen)


def test_a_trace_answer_as_a_dict_is_what_asdict_gives_and_a_copy(hub):
    from dataclasses import asdict

    found = trace(RowGraph(hub.catalog, hub.matcher), f"product:{HUB}", depth=2, limit=5)
    answer = found.to_dict()
    assert answer == asdict(found) and answer["documents"] and answer["documents"][0]["via"]
    answer["documents"][0]["via"][0]["type"] = "changed"  # the answer's dicts are not the result's own
    assert found.documents[0]["via"][0]["type"] != "changed"
