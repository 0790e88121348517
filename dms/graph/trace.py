"""Queries over the graph: what a reference names, what is tied to it, and its links.

Trace walks from the root through document-to-document links (the `walked` link types of
`dms.graph.linktypes`: revisions, attachments, replies, duplicates, and links made by hand) and
through the root's own entity, but never onward through other entities: a product or party named
in a document is a hub that would tie everything to everything. The result is paged; the total is
always given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dms.errors import NotFound
from dms.graph.linktypes import OWN_NUMBER, WALKED, rank

if TYPE_CHECKING:
    import networkx as nx

DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Link:
    source: str
    target: str
    type: str
    evidence: str
    manual: bool = False

    def to_dict(self) -> dict:
        return {"from": self.source, "to": self.target, "type": self.type, "evidence": self.evidence}


@dataclass(slots=True)
class TraceResult:
    root: str
    total: int
    depth: int
    documents: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """As dataclasses.asdict would give it (a copy), without its generic deep walk: a page of 50 documents
        with their chains is a thousand values."""
        return {"root": self.root, "total": self.total, "depth": self.depth,
                "documents": [{**d, "via": [dict(link) for link in d["via"]]} for d in self.documents]}


def entities_of(g: nx.MultiDiGraph, doc: str) -> list[str]:
    """The entities a document is: its own document number."""
    return [v for _, v, d in g.out_edges(doc, data=True) if d["type"] in OWN_NUMBER]


def _neighbours(g: nx.MultiDiGraph, node: str):
    return _best_links(node, ((other, data) for _, other, data in g.out_edges(node, data=True)),
                       ((other, data) for other, _, data in g.in_edges(node, data=True)))


def _best_links(node: str, out, inc) -> list[tuple[str, Link]]:
    """(other node, the link a chain shows) from node's (other, data) edges out and in, by other node."""
    best: dict[str, Link] = {}
    for other, data in out:
        _keep(best, other, Link(node, other, data["type"], data["evidence"], bool(data.get("manual"))))
    for other, data in inc:
        _keep(best, other, Link(other, node, data["type"], data["evidence"], bool(data.get("manual"))))
    return sorted(best.items())


def link_between(g: nx.MultiDiGraph, here: str, there: str) -> Link:
    """The link a chain shows between two adjacent nodes (as `_neighbours(g, here)` would give for `there`),
    read from whichever end is at hand: a hub between two documents is never fetched whole for it."""
    between = getattr(g, "between", None)
    if between is not None:
        forward, backward = between(here, there)
    else:
        forward = list((g.get_edge_data(here, there) or {}).values())
        backward = list((g.get_edge_data(there, here) or {}).values())
    best: dict[str, Link] = {}
    for data in forward:
        _keep(best, there, Link(here, there, data["type"], data["evidence"], bool(data.get("manual"))))
    for data in backward:
        _keep(best, there, Link(there, here, data["type"], data["evidence"], bool(data.get("manual"))))
    return best[there]


def _keep(best: dict[str, Link], other: str, link: Link) -> None:
    """When several links join two nodes the chain shows one: made by hand first, then the most specific."""
    if other not in best or (link.manual, -rank(link.type)) > (best[other].manual, -rank(best[other].type)):
        best[other] = link


def trace(g: nx.MultiDiGraph, root: str, depth: int = 2, limit: int = DEFAULT_LIMIT, offset: int = 0) -> TraceResult:
    if root not in g:
        raise NotFound(f"{root} is not in the graph")
    rows = hasattr(g, "trace_edges")  # a RowGraph fetches a whole frontier's links at once
    kind = g.kind_of if rows else (lambda n: g.nodes[n]["kind"])  # a RowGraph's makes no attributes

    def is_doc(n: str) -> bool:  # doc:<id>; the entity of a number of no family, "document:<NUMBER>", is not one
        return n.startswith("doc:") and kind(n) == "document"

    expandable = {root} | (set(entities_of(g, root)) if is_doc(root) else set())
    # depth by depth: the order a FIFO queue would take them in, the root first, then its own number (a set's
    # order would change with the hash seed, and with it which of two equally near links a chain shows)
    frontier = [root, *sorted(expandable - {root})]
    level, chain = (_walk_rows if rows else _walk)(g, frontier, depth, is_doc)
    # every node past depth 0 is a document (walks keep no other); of depth 0, the root and its own number
    found = [n for n, d in level.items() if d or (n != root and is_doc(n))]
    dates = g.dates_of(found) if rows else [g.nodes[n].get("date") for n in found]  # a RowGraph's without facts
    found = [n for _, _, n in sorted(zip([level[n] for n in found], [d or "" for d in dates], found))]
    page = found[offset : offset + limit]
    if rows:
        g.load_documents(int(n[4:]) for n in page)  # the facts of the page shown, at once
    vias = chain(page)
    documents = []
    for n in page:
        attrs = g.nodes[n]
        documents.append({
            "id": attrs["id"], "title": attrs["title"], "heading": attrs.get("heading", attrs["title"]),
            "path": attrs["path"], "type": attrs["type"],
            "date": attrs["date"], "depth": level[n], "via": [link.to_dict() for link in vias[n]],
        })
    return TraceResult(root, len(found), depth, documents)


Chains = Callable[[list[str]], dict[str, list[Link]]]  # the chains of links that reach these documents


def _walk(g: nx.MultiDiGraph, frontier: list[str], depth: int, is_doc) -> tuple[dict[str, int], Chains]:
    """The documents `depth` links from the frontier (the root and its own number, whose every link is followed;
    onward from a document, only walked and hand-made links), each with its depth, and the chains reaching them."""
    expandable = set(frontier)
    via: dict[str, list[Link]] = {n: [] for n in frontier}
    level: dict[str, int] = {n: 0 for n in frontier}
    for here in range(depth):
        if not frontier:
            break
        ahead = []
        for node in frontier:
            is_document = is_doc(node)
            for other, link in _neighbours(g, node):
                if other in level:
                    continue
                if not is_doc(other):
                    continue  # entities are reached only as the root
                if is_document and not link.manual and node not in expandable and link.type not in WALKED:
                    continue
                level[other] = here + 1
                via[other] = via[node] + [link]
                ahead.append(other)
        frontier = ahead
    return level, lambda nodes: {n: via[n] for n in nodes}


def _walk_rows(g, frontier: list[str], depth: int, is_doc) -> tuple[dict[str, int], Chains]:
    """`_walk` over a RowGraph: each depth's links at once, the root's and its number's all of them, onward only
    the walked and hand-made links (every derived link between two documents is of a walked type: those alone give
    the same chains, a few index seeks a document). The links are chosen without their evidence, which is read for
    the chains asked for (a page) only: a hub's thousands of documents cost a row id and a date each."""
    level: dict[str, int] = {n: 0 for n in frontier}
    before: dict[str, tuple[str, tuple]] = {}  # document -> (the node it was reached from, the link as a tuple)
    for here in range(depth):
        if not frontier:
            break
        edges = g.trace_edges(frontier, None if here == 0 else WALKED)
        ahead = []
        for node in frontier:
            out, inc = edges[node]
            if not out and not inc:
                continue  # most documents: no revision, copy, reply or attachment
            best: dict[str, tuple] = {}
            for other, kind, manual, evidence in out:
                if other not in level and (other not in best or _better(best[other], kind, manual)):
                    best[other] = (node, other, kind, evidence, manual)
            for other, kind, manual, evidence in inc:
                if other not in level and (other not in best or _better(best[other], kind, manual)):
                    best[other] = (other, node, kind, evidence, manual)
            for other in sorted(best):
                level[other] = here + 1
                before[other] = (node, best[other])
                ahead.append(other)
        frontier = ahead

    def chain(nodes: list[str]) -> dict[str, list[Link]]:
        links: dict[str, list[tuple]] = {}
        for n in nodes:
            hops, at = [], n
            while at in before:
                at, link = before[at]
                hops.append(link)
            links[n] = hops[::-1]
        evidence = g.evidence_of(link[3] for hops in links.values() for link in hops)
        return {n: [Link(s, t, k, evidence[e], m) for s, t, k, e, m in hops] for n, hops in links.items()}

    return level, chain


def _better(kept: tuple, kind: str, manual: bool) -> bool:
    """`_keep`'s rule for links as tuples (source, target, type, evidence, manual): whether one of this type, made
    by hand or not, replaces the one kept."""
    return (manual, -rank(kind)) > (kept[4], -rank(kept[2]))


def links(g: nx.MultiDiGraph, node: str) -> dict:
    """Incoming and outgoing links of a node, grouped by type."""
    if node not in g:
        raise NotFound(f"{node} is not in the graph")
    out: dict[str, list[dict]] = defaultdict(list)
    inc: dict[str, list[dict]] = defaultdict(list)
    for _, other, data in g.out_edges(node, data=True):
        out[data["type"]].append({"node": other, "label": label(g, other), "evidence": data["evidence"],
                                  "link_id": data.get("manual")})
    for other, _, data in g.in_edges(node, data=True):
        inc[data["type"]].append({"node": other, "label": label(g, other), "evidence": data["evidence"],
                                  "link_id": data.get("manual")})
    return {"node": node, "label": label(g, node), "outgoing": dict(out), "incoming": dict(inc)}


def label(g: nx.MultiDiGraph, node: str) -> str:
    attrs = g.nodes[node]
    return attrs.get("title") or attrs.get("label") or node
