"""Queries over the graph: what a reference names, what is tied to it, and its links.

Trace walks from the root through document-to-document links (the `walked` link types of
`dms.graph.linktypes`: revisions, attachments, replies, duplicates, and links made by hand) and
through the root's own entity, but never onward through other entities: a product or party named
in a document is a hub that would tie everything to everything. The result is paged; the total is
always given.
"""

from __future__ import annotations

from collections import defaultdict, deque
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
    best: dict[str, Link] = {}
    for _, other, data in g.out_edges(node, data=True):
        _keep(best, other, Link(node, other, data["type"], data["evidence"], bool(data.get("manual"))))
    for other, _, data in g.in_edges(node, data=True):
        _keep(best, other, Link(other, node, data["type"], data["evidence"], bool(data.get("manual"))))
    return sorted(best.items())


def _keep(best: dict[str, Link], other: str, link: Link) -> None:
    """When several links join two nodes the chain shows one: made by hand first, then the most specific."""
    if other not in best or (link.manual, -rank(link.type)) > (best[other].manual, -rank(best[other].type)):
        best[other] = link


def trace(g: nx.MultiDiGraph, root: str, depth: int = 2, limit: int = DEFAULT_LIMIT, offset: int = 0) -> TraceResult:
    if root not in g:
        raise NotFound(f"{root} is not in the graph")
    expandable = {root} | (set(entities_of(g, root)) if g.nodes[root]["kind"] == "document" else set())
    via: dict[str, list[Link]] = {n: [] for n in expandable}
    level: dict[str, int] = {n: 0 for n in expandable}
    queue = deque(expandable)
    while queue:
        node = queue.popleft()
        here = level[node]
        if here >= depth:
            continue
        is_document = g.nodes[node]["kind"] == "document"
        for other, link in _neighbours(g, node):
            if other in level:
                continue
            other_is_document = g.nodes[other]["kind"] == "document"
            if not other_is_document:
                continue  # entities are reached only as the root
            if is_document and not link.manual and node not in expandable and link.type not in WALKED:
                continue
            level[other] = here + 1
            via[other] = via[node] + [link]
            queue.append(other)
    found = [n for n in level if g.nodes[n]["kind"] == "document" and n != root]
    found.sort(key=lambda n: (level[n], g.nodes[n].get("date") or "", n))
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
