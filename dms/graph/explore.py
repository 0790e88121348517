"""More questions of the graph: how two things connect, a timeline, and what is loose or out of date."""

from __future__ import annotations

import networkx as nx

from dms.catalog import linkreads
from dms.errors import NotFound
from dms.graph.linktypes import CROSS_LINKS, MENTIONS, OWN_NUMBER, SUPERSEDES
from dms.graph.rowgraph import RowGraph, doc_id_of, document_attrs
from dms.graph.trace import label, link_between, trace

IDENTIFIER_KINDS_EXCLUDED = ("product", "party", "document")
WEIGH_AT_MOST = 100_000  # link rows counted to weigh a path search's frontier; past that, a side is dear enough


def paths(g: nx.MultiDiGraph, a: str, b: str, most: int = 5) -> dict:
    """The shortest chains between two nodes (links taken either way), each link with its type and evidence:
    the first `most` in the order of their nodes' names."""
    for node in (a, b):
        if node not in g:
            raise NotFound(f"{node} is not in the graph")
    found = shortest_paths(g, a, b, most)
    chains = []
    for path in found:
        hops = []
        for here, there in zip(path, path[1:]):
            link = link_between(g, here, there)
            hops.append(link.to_dict() | {"from_label": label(g, link.source), "to_label": label(g, link.target)})
        chains.append(hops)
    return {"from": a, "to": b, "length": len(found[0]) - 1 if found else None, "paths": chains}


def _around(g, node: str) -> list[str]:
    """The nodes one link from node, either way (itself aside)."""
    if isinstance(g, RowGraph):
        return g.around(node)
    return [n for n in dict.fromkeys((*g.successors(node), *g.predecessors(node))) if n != node]


def shortest_paths(g, a: str, b: str, most: int) -> list[list[str]]:
    """The first `most` shortest paths from a to b over links either way, sorted by their nodes' names (the
    first of `sorted(nx.all_shortest_paths(undirected, a, b))`). A bidirectional search, one depth of the side
    with the smaller frontier at a time (a RowGraph fetches each depth's links at once), until the two meet;
    then the paths are spelled out through the nodes both searches put on a shortest path, never enumerating
    more than `most`."""
    if a == b:
        return [[a]]
    rows = isinstance(g, RowGraph)
    prefetch = g.prefetch_around if rows else None  # a frontier's neighbours at once
    dist: tuple[dict[str, int], dict[str, int]] = ({a: 0}, {b: 0})
    frontier, reached, meet = [[a], [b]], [0, 0], []
    while frontier[0] and frontier[1] and not meet:
        side = _cheaper_side(g, frontier) if rows else 0 if len(frontier[0]) <= len(frontier[1]) else 1
        if prefetch is not None:
            prefetch(frontier[side])
        seen, other = dist[side], dist[1 - side]
        reached[side] += 1
        ahead = []
        for node in frontier[side]:
            for near in _around(g, node):
                if near not in seen:
                    seen[near] = reached[side]
                    ahead.append(near)
        frontier[side] = ahead
        meet = [n for n in ahead if n in other]
    if not meet:
        return []
    # layers of the nodes on some shortest path: forward from a up to the meeting nodes, backward from b
    steps = []
    for side in (0, 1):
        layers: dict[int, set[str]] = {reached[side]: set(meet)}
        for j in range(reached[side] - 1, -1, -1):
            layers[j] = {n for n, d in dist[side].items() if d == j and any(m in layers[j + 1] for m in _around(g, n))}
        steps.append(layers)
    f, k = reached
    length = f + k
    onward: dict[str, list[str]] = {}  # backward half: from a node to the next one nearer b (each one fetched)
    for j in range(k - 1, -1, -1):
        for y in steps[1][j]:
            for n in _around(g, y):
                if n in steps[1][j + 1]:
                    onward.setdefault(n, []).append(y)

    def nexts(node: str, i: int) -> list[str]:
        if i < f:
            return sorted(n for n in _around(g, node) if n in steps[0][i + 1])
        return sorted(onward.get(node, ()))

    out: list[list[str]] = []

    def walk(path: list[str]) -> None:
        if len(out) >= most:
            return
        if len(path) == length + 1:
            out.append(list(path))
            return
        for n in nexts(path[-1], len(path) - 1):
            path.append(n)
            walk(path)
            path.pop()
            if len(out) >= most:
                return

    walk([a])
    return out


def _cheaper_side(g: RowGraph, frontier: list[list[str]]) -> int:
    """The side whose frontier has the fewer link rows to read (a side holding a party or product named in
    thousands of documents is the dearer, however few its nodes): the second counted only up to the first's
    count, so a hub is weighed by no more index entries than the cheaper side has. When both are dearer than
    WEIGH_AT_MOST, the one with the fewer nodes. Either side gives the same paths."""
    first = g.expansion_cost(frontier[0], WEIGH_AT_MOST)
    second = g.expansion_cost(frontier[1], first + 1)
    if first >= WEIGH_AT_MOST and second > first:  # both past counting
        return 0 if len(frontier[0]) <= len(frontier[1]) else 1
    return 0 if first <= second else 1


def timeline(g: nx.MultiDiGraph, root: str) -> dict:
    """The dated documents tied to a product, change request, party or document, in date order."""
    result = trace(g, root, depth=1, limit=10**9)
    events = [
        {"date": d["date"], "id": d["id"], "title": d["title"], "heading": d.get("heading", d["title"]),
         "type": d["type"], "path": d["path"],
         "relation": d["via"][-1]["type"] if d["via"] else None}
        for d in result.documents if d["date"]
    ]
    events.sort(key=lambda e: (e["date"], e["id"]))
    return {"root": root, "undated": result.total - len(events), "events": events}


def orphans(g: nx.MultiDiGraph) -> list[dict]:
    """Documents that no cross-link (`dms.graph.linktypes`: derived or made by hand) ties to any other paperwork
    (products and parties aside)."""
    if isinstance(g, RowGraph):
        return _row_orphans(g)
    out = []
    for node, attrs in g.nodes(data=True):
        if attrs["kind"] != "document" or not node.startswith("doc:"):  # not "document:<NUMBER>", an entity
            continue
        kinds = {d["type"] for _, _, d in g.out_edges(node, data=True)} | {
            d["type"] for _, _, d in g.in_edges(node, data=True)}
        if not kinds & CROSS_LINKS:
            out.append(_doc(attrs))
    return sorted(out, key=lambda d: d["id"])


def dangling(g: nx.MultiDiGraph) -> list[dict]:
    """Identifiers cited by documents but defined by none, with the documents that cite them."""
    if isinstance(g, RowGraph):
        return _row_dangling(g)
    out = []
    for node, attrs in g.nodes(data=True):
        if attrs["kind"] in IDENTIFIER_KINDS_EXCLUDED or attrs["kind"] == "document":
            continue
        incoming = list(g.in_edges(node, data=True))
        if any(d["type"] in OWN_NUMBER for _, _, d in incoming):
            continue
        citing = sorted({g.nodes[u]["id"] for u, _, d in incoming if d["type"] == MENTIONS})
        out.append({"node": node, "identifier": attrs["label"], "kind": attrs["kind"], "cited_by": citing})
    return sorted(out, key=lambda d: d["node"])


def stale(g: nx.MultiDiGraph) -> list[dict]:
    """Current documents that cite a revision that a later revision has superseded."""
    if isinstance(g, RowGraph):
        return _row_stale(g)
    latest: dict[str, tuple[str, dict]] = {}
    superseded = {v for u, v, d in g.edges(data=True) if d["type"] == SUPERSEDES}
    for node, attrs in g.nodes(data=True):
        if attrs["kind"] == "document" and attrs.get("number") and attrs.get("revision") and node not in superseded:
            latest[attrs["number"]] = (attrs["revision"], attrs)
    out = []
    for u, _, d in g.edges(data=True):
        if d["type"] != MENTIONS or " Rev " not in d.get("cited", "") or u in superseded:
            continue
        number, revision = d["cited"].split(" Rev ", 1)
        if number in latest and latest[number][0] != revision and g.nodes[u].get("number") != number:
            newest_rev, newest = latest[number]
            written = g.nodes[u]["date"]
            out.append({**_doc(g.nodes[u]), "cites": d["cited"], "current": f"{number} Rev {newest_rev}",
                        "current_id": newest["id"], "current_date": newest["date"], "evidence": d["evidence"],
                        # written before the newer revision existed: a record of its time, not an error
                        "predates_current": bool(written and newest["date"] and written < newest["date"])})
    return sorted(out, key=lambda d: (d["id"], d["cites"]))


def neighbourhood(g: nx.MultiDiGraph, root: str | None, radius: int = 1) -> nx.MultiDiGraph:
    if root is None:
        return g
    return g.subgraph(distances(g, root, radius)).copy()


def distances(g: nx.MultiDiGraph, root: str, radius: int) -> dict[str, int]:
    """Nodes within `radius` links of root, either direction, with their distance (a walk from the root only,
    not over the whole graph)."""
    if root not in g:
        raise NotFound(f"{root} is not in the graph")
    seen, frontier = {root: 0}, [root]
    prefetch = getattr(g, "prefetch", None)  # a RowGraph fetches each ring's links at once
    for step in range(1, radius + 1):
        if prefetch is not None:
            prefetch(frontier)
        ahead = []
        for node in frontier:
            for other in (*g.successors(node), *g.predecessors(node)):
                if other not in seen:
                    seen[other] = step
                    ahead.append(other)
        frontier = ahead
    return seen


def _doc(attrs: dict) -> dict:
    return {"id": attrs["id"], "title": attrs["title"], "heading": attrs.get("heading", attrs["title"]),
            "path": attrs["path"], "type": attrs["type"],
            "date": attrs["date"]}


# -- the same questions from the catalog's link rows (a RowGraph): SQL, no walk over the whole graph ------------


def _hand_links(g: RowGraph, types) -> list[tuple]:
    """The hand-made links of these types whose two ends are nodes."""
    return [m for m in linkreads.live_manual_links(g.catalog) if m[3] in types and m[1] in g and m[2] in g]


def _row_orphans(g: RowGraph) -> list[dict]:
    by_hand = {end for m in _hand_links(g, CROSS_LINKS) for end in (m[1], m[2])}
    loose = linkreads.unlinked_documents(g.catalog, tuple(sorted(CROSS_LINKS)))
    return [_doc(document_attrs(f)) for f in loose if f"doc:{f[0]}" not in by_hand]


def _row_dangling(g: RowGraph) -> list[dict]:
    citing: dict[str, set[int]] = {}
    for entity, source in linkreads.undefined_citations(g.catalog, MENTIONS, OWN_NUMBER):
        if entity.partition(":")[0] not in IDENTIFIER_KINDS_EXCLUDED:
            citing.setdefault(entity, set()).add(doc_id_of(source))
    return [{"node": node, "identifier": node.partition(":")[2], "kind": node.partition(":")[0],
             "cited_by": sorted(ids)} for node, ids in sorted(citing.items())]


def _row_stale(g: RowGraph) -> list[dict]:
    by_hand = {m[2] for m in _hand_links(g, (SUPERSEDES,))}  # superseded by a link made by hand
    cites = [c for c in linkreads.revision_citations(g.catalog, MENTIONS, SUPERSEDES) if c[0] not in by_hand]
    latest: dict[str, tuple[str, dict]] = {}
    numbers = sorted({cited.split(" Rev ", 1)[0] for _, cited, _ in cites})
    for facts in linkreads.unsuperseded_revisions(g.catalog, numbers, SUPERSEDES):  # by id: the last one stands
        if f"doc:{facts[0]}" not in by_hand:
            attrs = document_attrs(facts)
            latest[attrs["number"]] = (attrs["revision"], attrs)
    g.load_documents(doc_id_of(u) for u, _, _ in cites)
    out = []
    for u, cited, evidence in cites:
        number, revision = cited.split(" Rev ", 1)
        if number not in latest or latest[number][0] == revision:
            continue
        attrs = g.nodes[u]
        if attrs.get("number") != number:
            newest_rev, newest = latest[number]
            written = attrs["date"]
            out.append({**_doc(attrs), "cites": cited, "current": f"{number} Rev {newest_rev}",
                        "current_id": newest["id"], "current_date": newest["date"], "evidence": evidence,
                        "predates_current": bool(written and newest["date"] and written < newest["date"])})
    return sorted(out, key=lambda d: (d["id"], d["cites"]))
