"""More questions of the graph: how two things connect, a timeline, and what is loose or out of date."""

from __future__ import annotations

from itertools import islice

import networkx as nx

from dms.errors import NotFound
from dms.graph.linktypes import CROSS_LINKS, MENTIONS, OWN_NUMBER, SUPERSEDES
from dms.graph.trace import _neighbours, label, trace

IDENTIFIER_KINDS_EXCLUDED = ("product", "party", "document")


def _undirected(g: nx.MultiDiGraph) -> nx.Graph:
    simple = nx.Graph()
    simple.add_nodes_from(g.nodes)
    simple.add_edges_from((u, v) for u, v in g.edges())
    return simple


def paths(g: nx.MultiDiGraph, a: str, b: str, most: int = 5) -> dict:
    """The shortest chains between two nodes, each link with its type and evidence."""
    for node in (a, b):
        if node not in g:
            raise NotFound(f"{node} is not in the graph")
    simple = _undirected(g)
    try:
        found = list(islice(nx.all_shortest_paths(simple, a, b), most))
    except nx.NetworkXNoPath:
        found = []
    chains = []
    for path in found:
        hops = []
        for here, there in zip(path, path[1:]):
            link = dict(_neighbours(g, here))[there]
            hops.append(link.to_dict() | {"from_label": label(g, link.source), "to_label": label(g, link.target)})
        chains.append(hops)
    return {"from": a, "to": b, "length": len(found[0]) - 1 if found else None, "paths": chains}


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
    out = []
    for node, attrs in g.nodes(data=True):
        if attrs["kind"] != "document":
            continue
        kinds = {d["type"] for _, _, d in g.out_edges(node, data=True)} | {
            d["type"] for _, _, d in g.in_edges(node, data=True)}
        if not kinds & CROSS_LINKS:
            out.append(_doc(attrs))
    return sorted(out, key=lambda d: d["id"])


def dangling(g: nx.MultiDiGraph) -> list[dict]:
    """Identifiers cited by documents but defined by none, with the documents that cite them."""
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
    for step in range(1, radius + 1):
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
