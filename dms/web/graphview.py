"""The graph as the browser draws it: a neighbourhood as Cytoscape elements, kept to a readable size, with one colour
per kind of node and the legend that names them."""

from __future__ import annotations

from collections import Counter

import networkx as nx

from dms.graph.explore import distances
from dms.graph.trace import label
from dms.web.render import node_url

MOST_NODES = 150

# One colour per kind of node. Documents, products, parties and change requests keep theirs everywhere; the
# identifier families of the default rules have theirs too; any other family a rules file adds takes the next free
# colour of SPARE in the order of its name, so no two kinds of one graph share a colour.
KIND_COLOURS = {
    "document": "#1f5fbf", "change_request": "#c0392b", "product": "#1e8449", "party": "#8e44ad",
    "specification": "#d35400", "meeting": "#0e8a8a", "report": "#9a7d0a", "complaint": "#e8437b",
    "contract": "#34495e", "plan": "#6c5ce7", "order": "#7b4b2a", "lot": "#5d8a00",
}
SPARE = ["#00838f", "#ad1457", "#827717", "#4527a0", "#bf360c", "#2e7d32", "#37474f", "#6d4c41", "#c2185b",
         "#0277bd", "#558b2f", "#7f8c8d"]
FALLBACK = "#7f8c8d"


def colours_for(kinds) -> dict[str, str]:
    """kind -> colour for the kinds of one graph, each colour used once."""
    out = {k: KIND_COLOURS[k] for k in kinds if k in KIND_COLOURS}
    spare = [c for c in SPARE if c not in out.values()]
    for kind in sorted(k for k in set(kinds) if k not in out):
        out[kind] = spare.pop(0) if spare else FALLBACK
    return out


def legend(nodes: list[dict]) -> list[dict]:
    """The kinds of node in the graph, the most frequent first: kind, a readable name, colour and count."""
    counts = Counter(n["data"]["kind"] for n in nodes)
    colours = colours_for(counts)
    return [{"kind": kind, "label": (kind or "other").replace("_", " "), "colour": colours[kind], "count": count}
            for kind, count in sorted(counts.items(), key=lambda kc: (-kc[1], kc[0]))]


def elements(g: nx.MultiDiGraph, root: str, radius: int = 1, most: int = MOST_NODES) -> dict:
    """Nodes nearest the root first; a hub such as a product with thousands of documents is cut at `most`."""
    distance = distances(g, root, radius)
    total = len(distance)
    if total > most:
        degree = dict(g.degree(list(distance)))  # a RowGraph counts a hub's neighbours' links without fetching them
        keep = sorted(distance, key=lambda n: (distance[n], -degree[n], n))[:most]
    else:
        keep = distance
    part = g.subgraph(keep)
    nodes = []
    for node, attrs in part.nodes(data=True):
        text = part.nodes[node].get("heading") or label(part, node)  # a document: number, revision and title
        nodes.append({"data": {"id": node, "label": text if len(text) <= 40 else text[:38] + "…",
                               "name": text, "kind": attrs.get("kind", ""), "type": attrs.get("type") or "",
                               "url": node_url(node, g.graph.get("change_families", ())), "root": node == root,
                               "distance": distance[node]}})
    edges = []
    for n, (u, v, attrs) in enumerate(part.edges(data=True)):
        edges.append({"data": {"id": f"e{n}", "source": u, "target": v, "type": attrs["type"],
                               "evidence": attrs.get("evidence", "")[:200]}})
    key = legend(nodes)
    colour = {k["kind"]: k["colour"] for k in key}
    for n in nodes:
        n["data"]["colour"] = colour[n["data"]["kind"]]
    return {"root": root, "radius": radius, "nodes": nodes, "edges": edges, "total_nodes": total, "legend": key}
