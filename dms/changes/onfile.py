"""Change requests that exist only as documents in the archive (from before dms, or from elsewhere).

They are recognised by their identifier, of any change family of the rules ([families] change), and shown
from the cross-reference graph: the documents that are the request, the minutes that decided it (with the
outcome they record), the revisions that amend it. They are never copied into the workflow, and new numbers
are allocated after theirs.
"""

from __future__ import annotations

import networkx as nx

from dms.app import Dms
from dms.errors import NotFound
from dms.graph.build import change_node
from dms.graph.linktypes import AMENDS, DECIDED_IN, OWN_NUMBER

UNDECIDED = "undecided"  # minutes that discussed a change without deciding it


def on_file(dms: Dms, number: str) -> dict:
    from dms.graph import graph_for

    g = graph_for(dms)
    node = change_node(dms.matcher, number)
    if node is None or node not in g:
        raise NotFound(f"there is no change request {number.upper()}, in the workflow or in the archive")
    return _record(g, node)


def _record(g: nx.MultiDiGraph, node: str) -> dict:
    number = node.split(":", 1)[1]
    record = {"number": number, "state": "on file", "documents": [], "decided_in": [], "amended_by": []}
    for doc, _, data in g.in_edges(node, data=True):
        attrs = g.nodes[doc]
        item = {"id": attrs["id"], "title": attrs["title"], "path": attrs["path"], "date": attrs["date"]}
        if data["type"] in OWN_NUMBER:
            record["documents"].append(item)
            record.setdefault("title", attrs["title"])
        elif data["type"] == AMENDS:
            record["amended_by"].append({**item, "revision": attrs.get("revision")})
    record["decided_in"] = decisions(g, node)
    if settled := settling(record["decided_in"]):
        record["decision"] = settled["decision"]
    if not record["documents"] and not record["decided_in"]:
        record["state"] = "cited only"
    return record


def decisions(g: nx.MultiDiGraph, node: str) -> list[dict]:
    """The minutes that decided a change (edges by hand included), oldest first, each with the outcome."""
    out = []
    for _, doc, data in g.out_edges(node, data=True):
        if data["type"] == DECIDED_IN and g.nodes[doc]["kind"] == "document":
            attrs = g.nodes[doc]
            out.append({"id": attrs["id"], "title": attrs["title"], "date": attrs["date"],
                        "decision": data.get("outcome")})
    return sorted(out, key=lambda d: (d["date"] or "", d["id"]))


def settling(decided_in: list[dict]) -> dict | None:
    """The minutes whose outcome stands: the latest that decided (minutes recording "no decision" decide
    nothing), else the latest that discussed it."""
    named = [d for d in decided_in if d["decision"]]
    decisive = [d for d in named if d["decision"] != UNDECIDED]
    return (decisive or named or [None])[-1]


def all_on_file(dms: Dms) -> list[dict]:
    from dms.graph import graph_for
    from dms.graph.rowgraph import nodes_of_kind

    g = graph_for(dms)
    nodes = sorted((n for family in dms.rules.change_families for n in nodes_of_kind(g, family)),
                   key=lambda n: (n.split(":", 1)[1], n))
    if hasattr(g, "prefetch"):  # a RowGraph: the links of every change at once
        g.prefetch(nodes)
    return [_record(g, n) for n in nodes]
