"""The graph answered from the catalog's link rows (dms.graph.rowgraph.RowGraph) gives the same answers as the
networkx graph of dms.graph.build_graph: trace (depths, paging), links, paths, timeline, orphans, dangling,
stale, node lookup and subgraphs, on the sample archive and on a randomised archive of real files (replies
ingested before their parents, revisions, attachments, copies, retired documents, links made by hand), on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from itertools import islice

import networkx as nx
import pytest
from conftest import REPO, copy_sample_home, write_eml

from dms import users
from dms.app import Dms
from dms.config import load_settings
from dms.graph import build_graph, links, node_for, trace
from dms.graph.explore import dangling, orphans, paths, stale, timeline
from dms.graph.rowgraph import RowGraph
from dms.ingest.pipeline import ingest

pytestmark = pytest.mark.both_catalogs

SEED = 18  # the randomised archive is the same on every run
ROOTS_PER_KIND = 12  # roots of each kind (document, change request, product, party, ...) traced
PAIRS = 40  # node pairs whose shortest paths are compared
MOST_PATHS = 5  # as explore.paths' default
PAGE = 7  # a page size that cuts the larger traces
GRAPH_PAGE_NODES = 15  # the interactive graph's node limit, small enough to cut the hubs of both archives


def _rows(app: Dms) -> None:
    """Bring the link rows (graph_links) up to date, as graph_for does."""
    from dms.graph.sync import sync

    sync(app)


def _settings(home, database_url):
    return load_settings(environ={"DMS_WORKERS": "2", "DMS_OCR": "0",
                                  **({"DMS_DATABASE_URL": database_url} if database_url else {})}, home=home)


# -- the archives ------------------------------------------------------------------------------------------------

# The archives are built once per module and catalog (the tests only read them): settings by (archive, catalog).
_BUILT: dict[tuple[str, str], object] = {}


def _built(request, name: str, catalog_kind: str, build) -> object:
    """The settings of archive `name` on this catalog, built by `build(settings)` on first use."""
    key = (name, catalog_kind)
    if key not in _BUILT:
        home = request.getfixturevalue("tmp_path_factory").mktemp(f"{name}-{catalog_kind}") / "home"
        url = request.getfixturevalue("pg_cluster").new_catalog_database() if catalog_kind == "postgresql" else None
        settings = _settings(home, url)
        build(settings)
        _BUILT[key] = settings
    return _BUILT[key]


@pytest.fixture
def sample(request, catalog_kind):
    """The sample archive ingested (SQLite: a copy of the run's one ingest; PostgreSQL: its KX200 part, ingested)."""
    def build(settings):
        if catalog_kind == "sqlite":
            copy_sample_home(settings.home)
        with Dms(load_settings(environ={}, home=settings.home) if catalog_kind == "sqlite" else settings) as app:
            if catalog_kind != "sqlite":
                ingest(app, [REPO / "archive" / "KX200"])
            _rows(app)

    settings = _built(request, "sample", catalog_kind, build)
    if catalog_kind == "sqlite":
        settings = load_settings(environ={}, home=settings.home)
    with Dms(settings) as app:
        yield app


def _random_archive(root, rng: random.Random) -> tuple[list, list]:
    """Real files: (first batch, second batch). Replies come in the first batch, some of their parents only in
    the second; specifications in several revisions; e-mails with attachments; byte-identical copies."""
    first, second = root / "one", root / "two"
    for folder in (first, second):
        folder.mkdir(parents=True)
    products = ["KX200", "AQ150", "VL310", "ZB410"]
    crs = [f"CR-2023-{n:03d}" for n in range(1, 9)]
    specs = [f"SPEC-KX2{n:02d}-01" for n in range(1, 6)]
    for n, cr in enumerate(crs):
        cited = rng.sample(specs, 2)
        (first / f"{cr}.txt").write_text(
            f"Change Request {cr}\nDate: 2023-0{1 + n % 9}-1{n % 9}\nProduct: {rng.choice(products)}\n"
            f"Affects {cited[0]} Rev {rng.choice('AB')} and {cited[1]}.\nSee also {rng.choice(crs)}.\n")
    for s, spec in enumerate(specs):
        for r, rev in enumerate("ABCD"[: rng.randint(1, 4)]):
            folder = first if rng.random() < 0.6 else second
            cr = rng.choice(crs)
            (folder / f"{spec}_r{rev}.txt").write_text(
                f"Specification {spec}\nDocument No: {spec}\nRevision: {rev}\nDate: 202{2 + r}-0{1 + s}-15\n"
                f"Product: {products[s % len(products)]}\nThis revision implements {cr}.\n"
                f"Refer to {rng.choice(specs)} Rev {rng.choice('ABC')} and order PO-2023-{rng.randint(1, 6):04d}.\n")
    for m in range(4):
        day = f"2023-0{m + 3}-0{m + 1}"
        lines = [f"{cr} decision: {rng.choice(['approved', 'rejected', 'deferred', 'no decision'])}."
                 for cr in rng.sample(crs, 3)]
        (rng.choice([first, second]) / f"MTG-{day}.md").write_text(
            f"# Minutes MTG-{day}\nDate: {day}\nProduct: {rng.choice(products)}\n" + "\n".join(lines) + "\n")
    senders = ["Jonas Weber <jonas.weber@nordlicht.example>", "Pia Brandt <pia@brightwater.example>",
               "Olaf Kern <olaf@kessler-thermo.example>"]
    for t in range(5):  # threads: parent, reply, reply to the reply
        ids = [f"<t{t}m{k}@example.test>" for k in range(3)]
        for k in range(3):
            late_parent = k == 0 and t % 2 == 0
            folder = second if late_parent else first
            cr = rng.choice(crs)
            attachments = []
            if rng.random() < 0.5:
                attachments = [(f"note-{t}-{k}.txt", f"Note on {cr} for {rng.choice(products)}\n".encode(),
                                "text/plain")]
            write_eml(folder / f"mail-{t}-{k}.eml", f"Re: {cr}" if k else f"{cr} question",
                      f"About {cr} and {rng.choice(specs)}.\n", sender=rng.choice(senders), message_id=ids[k],
                      in_reply_to=ids[k - 1] if k else None, date=f"Tue, 1{t} Mar 2023 09:0{k}:00 +0000",
                      attachments=attachments)
    for n in range(3):  # copies of files, in the other batch
        original = rng.choice(sorted(first.glob("*.txt")))
        shutil.copy(original, second / f"copy-{n}-{original.name}")
    (first / "loose.txt").write_text("Shopping list: milk, bread.\n")
    return [first], [second]


@pytest.fixture
def randomised(request, catalog_kind):
    """The randomised archive ingested in two runs, with documents retired and links made by hand (one removed)."""
    def build(settings):
        rng = random.Random(SEED)
        one, two = _random_archive(settings.home.parent / "files", rng)
        with Dms(settings) as app:
            users.add(app.catalog, "ada", "admin", "ada-password-1", by="ada")
            ingest(app, one)
            ingest(app, two)
            _rows(app)
            from dms.graph.manual import add_link, remove_link
            from dms.records import retire

            docs = sorted((n for n, a in build_graph(app.catalog, app.matcher).nodes(data=True)
                           if a["kind"] == "document"), key=lambda n: int(n[4:]))
            mails = [n for n in docs if app.catalog.document(int(n[4:])).name.endswith(".eml")]
            with_attachment = next(n for n in mails if app.catalog.attachments_of(int(n[4:])))
            for node in (with_attachment, rng.choice(docs)):
                retire(app, node[4:], "ada", "kept elsewhere")
            live = [n for n in docs if n in build_graph(app.catalog, app.matcher)]
            made = []
            for kind in ("relates_to", "responds_to", "part_of", "cancels", "supersedes", "relates_to"):
                a, b = rng.sample(live, 2)
                made.append(add_link(app, a, b, kind, "belongs together", by="ada"))
            made.append(add_link(app, live[0], "change_request:CR-2023-001", "relates_to", "prompted it", by="ada"))
            made.append(add_link(app, live[1], live[2], "relates_to", "twice", by="ada"))
            made.append(add_link(app, live[1], live[2], "relates_to", "twice", by="ada"))
            remove_link(app, made[0], "wrong", by="ada")
            _rows(app)

    with Dms(_built(request, "randomised", catalog_kind, build)) as app:
        yield app


@pytest.fixture(params=["sample", "randomised"])
def both(request, catalog_kind):
    """(app, RowGraph, networkx graph of build_graph) on each archive."""
    app = request.getfixturevalue(request.param)
    return app, RowGraph(app.catalog, app.matcher), build_graph(app.catalog, app.matcher)


def _roots(g: nx.MultiDiGraph) -> list[str]:
    by_kind: dict[str, list[str]] = {}
    for n, a in g.nodes(data=True):
        by_kind.setdefault(a["kind"], []).append(n)
    rng = random.Random(SEED)
    return [n for kind in sorted(by_kind) for n in rng.sample(sorted(by_kind[kind]), min(ROOTS_PER_KIND,
                                                                                          len(by_kind[kind])))]


# -- the graph itself --------------------------------------------------------------------------------------------

def test_row_graph_has_the_nodes_links_and_attributes_of_build_graph(both):
    app, rows, g = both
    assert dict(rows.nodes(data=True)) == dict(g.nodes(data=True))
    as_tuples = lambda graph: Counter((u, v, tuple(sorted(d.items()))) for u, v, d in graph.edges(data=True))  # noqa: E731
    assert as_tuples(rows) == as_tuples(g)
    assert rows.graph == g.graph
    for n in _roots(g):
        assert n in rows and rows.nodes[n] == g.nodes[n]
        assert sorted(rows.out_edges(n, data=True), key=repr) == sorted(g.out_edges(n, data=True), key=repr)
        assert sorted(rows.in_edges(n, data=True), key=repr) == sorted(g.in_edges(n, data=True), key=repr)
        assert set(rows.successors(n)) == set(g.successors(n))
        assert set(rows.predecessors(n)) == set(g.predecessors(n))
    fresh = RowGraph(app.catalog, app.matcher)  # degrees counted in the catalog, not from fetched links
    roots = _roots(g)
    assert dict(fresh.degree(roots)) == dict(g.degree(roots))
    assert "doc:999999" not in rows and "change_request:CR-1999-001" not in rows and "doc:01" not in rows


def test_subgraph_of_a_neighbourhood_is_the_networkx_subgraph(both):
    from dms.web.graphview import elements

    _, rows, g = both
    for root in _roots(g)[:10]:
        keep = {root, *g.successors(root), *g.predecessors(root)}
        mine, theirs = rows.subgraph(keep), g.subgraph(keep)
        assert dict(mine.nodes(data=True)) == dict(theirs.nodes(data=True))
        assert sorted(mine.edges(data=True), key=repr) == sorted(theirs.edges(data=True), key=repr)
    for root in _roots(g):  # the interactive graph page, a hub cut to its best-connected neighbours
        mine, theirs = (elements(graph, root, radius=2, most=GRAPH_PAGE_NODES) for graph in (rows, g))
        plain = lambda items: sorted(repr({**i["data"], "id": None}) for i in items)  # noqa: E731 - e<n> by order
        assert sorted(map(repr, mine.pop("nodes"))) == sorted(map(repr, theirs.pop("nodes")))
        assert plain(mine.pop("edges")) == plain(theirs.pop("edges"))
        assert mine == theirs


# -- the questions -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [1, 2, 3])
def test_trace_from_rows_equals_trace_of_the_networkx_graph(both, depth):
    _, rows, g = both
    for root in _roots(g):
        assert trace(rows, root, depth=depth, limit=10**6).to_dict() == trace(g, root, depth=depth,
                                                                            limit=10**6).to_dict(), root
        for offset in (0, PAGE, 3 * PAGE):
            assert (trace(RowGraph(rows.catalog, rows.graph["change_families"]), root, depth=depth, limit=PAGE,
                          offset=offset).to_dict() == trace(g, root, depth=depth, limit=PAGE, offset=offset).to_dict())


def _sorted_links(found: dict) -> dict:
    for side in ("outgoing", "incoming"):
        found[side] = {kind: sorted(items, key=repr) for kind, items in found[side].items()}
    return found


def test_links_and_timeline_from_rows_equal_those_of_the_networkx_graph(both):
    _, rows, g = both
    for root in _roots(g):
        assert _sorted_links(links(rows, root)) == _sorted_links(links(g, root))
        assert timeline(rows, root) == timeline(g, root)


def test_orphans_dangling_and_stale_from_sql_equal_those_of_the_networkx_graph(both):
    _, rows, g = both
    assert orphans(rows) == orphans(g)
    assert dangling(rows) == dangling(g)
    assert stale(rows) == stale(g)


def test_shortest_paths_are_those_of_networkx_in_the_order_of_their_nodes(both):
    _, rows, g = both
    undirected = nx.Graph(g.to_undirected(as_view=True))
    nodes = sorted(g.nodes)
    rng = random.Random(SEED)
    pairs = [tuple(rng.sample(nodes, 2)) for _ in range(PAIRS)] + [(nodes[0], nodes[0])]
    for a, b in pairs:
        try:
            want = list(islice(sorted(nx.all_shortest_paths(undirected, a, b)), MOST_PATHS))
        except nx.NetworkXNoPath:
            want = []
        mine, theirs = paths(rows, a, b), paths(g, a, b)
        assert mine == theirs
        assert len(mine["paths"]) == len(want)
        assert mine["length"] == (len(want[0]) - 1 if want else None)
        for chain, path in zip(mine["paths"], want):  # each hop joins the path's next two nodes, either way
            assert [{hop["from"], hop["to"]} for hop in chain] == [set(p) for p in zip(path, path[1:])]
        # the same RowGraph, having read only neighbours for the search, still answers everything else the same
        assert trace(rows, a, depth=2).to_dict() == trace(g, a, depth=2).to_dict()
        assert _sorted_links(links(rows, b)) == _sorted_links(links(g, b))


def test_node_lookup_by_party_product_and_number_agrees(both):
    app, rows, g = both
    parties = sorted(n for n, a in g.nodes(data=True) if a["kind"] == "party")
    for party in parties:
        label = g.nodes[party]["label"]
        for text in (label, label.upper(), label[2:-2]):
            try:
                want = node_for(app, g, text)
            except Exception as exc:  # noqa: BLE001 - the same refusal on both
                with pytest.raises(type(exc)):
                    node_for(app, rows, text)
                continue
            assert node_for(app, rows, text) == want
    for n, a in islice(((n, a) for n, a in g.nodes(data=True) if a["kind"] in ("product", "change_request")), 20):
        assert node_for(app, rows, a["label"]) == node_for(app, g, a["label"]) == n


def test_exports_of_the_whole_graph_and_of_a_neighbourhood_match(both, tmp_path):
    from dms.graph.export import write

    _, rows, g = both
    assert write(rows, None, 1, "graphml", str(tmp_path / "rows.graphml")) == write(
        g, None, 1, "graphml", str(tmp_path / "nx.graphml"))
    assert sorted(nx.read_graphml(tmp_path / "rows.graphml").edges(data=True), key=repr) == sorted(
        nx.read_graphml(tmp_path / "nx.graphml").edges(data=True), key=repr)
    for root in _roots(g)[:6]:
        assert write(rows, root, 2, "json", str(tmp_path / "rows.json")) == write(
            g, root, 2, "json", str(tmp_path / "nx.json"))
        mine, theirs = (nx.node_link_graph(json.loads((tmp_path / f"{side}.json").read_text()), edges="links")
                        for side in ("rows", "nx"))
        assert dict(mine.nodes(data=True)) == dict(theirs.nodes(data=True))
        assert sorted(mine.edges(data=True), key=repr) == sorted(theirs.edges(data=True), key=repr)
