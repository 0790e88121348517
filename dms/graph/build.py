"""The cross-reference graph: a networkx MultiDiGraph built from the catalog, the system of record.

Nodes: `doc:<id>` for every document, and entities `<family>:<NUMBER>` (change_request:CR-2023-014,
specification:SPEC-KX200-03, meeting:…; the family is the [identifiers] name), `product:<CODE>`,
`party:<name>`. An entity exists as soon as anything refers to it, so a change request with no document of
its own can still be traced. Every edge has a `type` (a row of `dms.graph.linktypes`) and an `evidence` saying
why it exists; `decided_in` also has the `outcome` (approved, rejected, deferred, undecided, decided).

The links are made by `dms.graph.derive`, the one derivation the catalog's link rows (dms.graph.sync) come from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from dms.catalog import Catalog
from dms.graph.derive import (
    Facts,
    LinkRow,
    chain_links,
    cites_changes,
    doc_node,
    document_links,
    entity_node,
    manual_edge_data,
)
from dms.identifiers import IdentifierMatcher, normalize_number
from dms.titles import heading

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["build_graph", "change_node", "doc_node", "entity_node", "graph_from_rows"]


def change_node(matcher: IdentifierMatcher, number: str) -> str | None:
    """The graph node of a change number ("eco:ECO-24-0117"): its change family is the first of [families]
    change whose identifier pattern it matches; None when it is no change family's number."""
    rules = matcher.rules
    normal = normalize_number(number)
    m = matcher.fullmatch(number)
    if m and m.revision is None and rules.is_change(m.family):
        return entity_node(m.family, m.number)
    patterns = dict(rules.identifiers)
    for family in rules.change_families:
        if family in patterns and re.fullmatch(patterns[family], normal, re.IGNORECASE):
            return entity_node(family, normal)
    return None


def build_graph(catalog: Catalog, matcher: IdentifierMatcher) -> nx.MultiDiGraph:
    """The whole graph of the catalog as it is now, derived in memory (dms.graph.derive, as the link rows are):
    every derived link type of `dms.graph.linktypes`, and the links made by hand. For tests and checks that
    compare the link rows with a derivation from scratch; dms itself answers from the rows (dms.graph.rowgraph)."""
    docs = catalog.graph_documents()
    replied: dict[str, int] = {}
    numbered: dict[str, list] = defaultdict(list)
    for doc in docs:
        if doc.version.meta.get("message_id"):
            replied[doc.version.meta["message_id"]] = doc.id  # the last by id, as graph_messages' MAX(doc_id)
        if doc.version.number:
            numbered[doc.version.number].append(doc)
    references: dict[int, list] = defaultdict(list)
    for doc_id, ref in catalog.all_references():
        references[doc_id].append(ref)
    pages = {d.version.id: catalog.pages(d.version.id) for d in docs
             if cites_changes(matcher.rules, d, references.get(d.id, ()))}
    rows = list(document_links(catalog, matcher, Facts(docs, references, replied, pages)))
    for number, revisions in numbered.items():
        rows += chain_links(number, revisions)
    return graph_from_rows(docs, rows, catalog.manual_links(), matcher.rules.change_families)


def graph_from_rows(docs, rows: list[LinkRow], manual: list[dict], change_families) -> nx.MultiDiGraph:
    """A networkx graph of these documents, derived links and links made by hand. A link whose document end is
    not one of `docs` (an attachment of a retired e-mail) is left out, as a hand-made link whose ends are not
    nodes."""
    import networkx as nx  # here, not at the top: importing dms.graph (for its link types) stays light

    g = nx.MultiDiGraph(change_families=change_families)  # for pages that link change nodes
    for doc in docs:
        v = doc.version
        g.add_node(doc_node(doc.id), kind="document", id=doc.id, title=v.title or doc.name, path=doc.path,
                   heading=heading(v.number, v.revision, v.title, doc.name),  # what people read: number, rev, title
                   type=v.doc_type, date=v.doc_date, number=v.number, revision=v.revision)
    for row in rows:
        ends = (row.source, row.target)
        if any(end.startswith("doc:") and end not in g for end in ends):
            continue
        for end in ends:
            if not end.startswith("doc:") and end not in g:
                kind, label = end.split(":", 1)
                g.add_node(end, kind=kind, label=label)
        g.add_edge(row.source, row.target, **row.edge_data())
    for link in manual:
        if link["source"] in g and link["target"] in g:
            g.add_edge(link["source"], link["target"], **manual_edge_data(
                link["id"], link["type"], link["reason"], link["created_by"], link["created_at"]))
    return g
