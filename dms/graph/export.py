"""Writing the graph for other tools: GraphML for Gephi, node-link JSON for networkx and scripts."""

from __future__ import annotations

import json

import networkx as nx

from dms.graph.explore import neighbourhood


def _plain(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GraphML takes no None values: empty strings instead."""
    out = nx.MultiDiGraph()
    for node, attrs in g.nodes(data=True):
        out.add_node(node, **{k: ("" if v is None else v) for k, v in attrs.items()})
    for u, v, attrs in g.edges(data=True):
        out.add_edge(u, v, **{k: ("" if val is None else val) for k, val in attrs.items()})
    return out


def write(g: nx.MultiDiGraph, root: str | None, radius: int, fmt: str, path: str) -> tuple[int, int]:
    part = _plain(neighbourhood(g, root, radius))
    if fmt == "graphml":
        nx.write_graphml(part, path)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(nx.node_link_data(part, edges="links"), fh, ensure_ascii=False, indent=1)
    return part.number_of_nodes(), part.number_of_edges()
