"""Queries over the graph: what a reference names, what is tied to it, and its links.

Trace walks from the root through document-to-document links (the `walked` link types of
`dms.graph.linktypes`: revisions, attachments, replies, duplicates, and links made by hand) and
through the root's own entity, but never onward through other entities: a product or party named
in a document is a hub that would tie everything to everything. The result is paged; the total is
always given.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
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
        return asdict(self)


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
    kind = getattr(g, "kind_of", None) or (lambda n: g.nodes[n]["kind"])  # a RowGraph's makes no attributes
    date = getattr(g, "date_of", None) or (lambda n: g.nodes[n].get("date"))

    def is_doc(n: str) -> bool:  # doc:<id>; the entity of a number of no family, "document:<NUMBER>", is not one
        return n.startswith("doc:") and kind(n) == "document"

    expandable = {root} | (set(entities_of(g, root)) if is_doc(root) else set())
    via: dict[str, list[Link]] = {n: [] for n in expandable}
    level: dict[str, int] = {n: 0 for n in expandable}
    # depth by depth: the order a FIFO queue would take them in, the root first, then its own number (a set's
    # order would change with the hash seed, and with it which of two equally near links a chain shows)
    frontier = [root, *sorted(expandable - {root})]
    rows = hasattr(g, "prefetch_walked")  # a RowGraph fetches a whole frontier's links at once
    for here in range(depth):
        if not frontier:
            break
        if rows:
            g.prefetch([n for n in frontier if n in expandable])
            g.prefetch_walked([n for n in frontier if n not in expandable], WALKED)
        ahead = []
        for node in frontier:
            is_document = is_doc(node)
            if rows and node not in expandable:
                # onward from a document only walked and hand-made links count, and every derived link between two
                # documents is a walked type: those alone give the same chains, a few index seeks a document
                out, inc = g.walked_edges(node, WALKED)
                if not out and not inc:
                    continue  # most documents: no revision, copy, reply or attachment
                near = _best_links(node, out, inc)
            else:
                near = _neighbours(g, node)
            for other, link in near:
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
    found = [n for n in level if is_doc(n) and n != root]
    found.sort(key=lambda n: (level[n], date(n) or "", n))
    page = found[offset : offset + limit]
    documents = []
    for n in page:
        attrs = g.nodes[n]
        documents.append({
            "id": attrs["id"], "title": attrs["title"], "heading": attrs.get("heading", attrs["title"]),
            "path": attrs["path"], "type": attrs["type"],
            "date": attrs["date"], "depth": level[n], "via": [link.to_dict() for link in via[n]],
        })
    return TraceResult(root, len(found), depth, documents)


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
