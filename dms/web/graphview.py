"""The graph as the browser draws it: a neighbourhood as Cytoscape elements, kept to a readable size."""

from __future__ import annotations

import networkx as nx

from dms.graph.explore import distances
from dms.graph.trace import label
from dms.web.render import node_url

MOST_NODES = 150


def elements(g: nx.MultiDiGraph, root: str, radius: int = 1, most: int = MOST_NODES) -> dict:
    """Nodes nearest the root first; a hub such as a product with thousands of documents is cut at `most`."""
    distance = distances(g, root, radius)
    total = len(distance)
    keep = sorted(distance, key=lambda n: (distance[n], -g.degree(n), n))[:most] if total > most else distance
    part = g.subgraph(keep)
    nodes = []
    for node, attrs in part.nodes(data=True):
        text = label(part, node)
        nodes.append({"data": {"id": node, "label": text if len(text) <= 40 else text[:38] + "…",
                               "kind": attrs.get("kind", ""), "type": attrs.get("type") or "",
                               "url": node_url(node, g.graph.get("change_families", ())), "root": node == root}})
    edges = []
    for n, (u, v, attrs) in enumerate(part.edges(data=True)):
        edges.append({"data": {"id": f"e{n}", "source": u, "target": v, "type": attrs["type"],
                               "evidence": attrs.get("evidence", "")[:200]}})
    return {"root": root, "radius": radius, "nodes": nodes, "edges": edges,
            "total_nodes": total}
