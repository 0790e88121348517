"""The cross-reference graph: links kept as catalog rows (dms.graph.derive, dms.graph.sync), queried by trace and
links one neighbourhood at a time (dms.graph.rowgraph).

`node_for()` turns what a person types (CR-2023-014, SPEC-KX200-03 Rev B, KX200, a party name,
a document id or path) into a graph node. The link types are one table, `dms.graph.linktypes`.

Importing this package stays light (no networkx, no catalog, no `Dms`; `build_graph` is loaded when first
named): the command line reads the link types for its help without loading the graph machinery.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import TYPE_CHECKING

from dms.errors import NotFound
from dms.graph.trace import TraceResult, links, trace

if TYPE_CHECKING:
    import networkx as nx

    from dms.app import Dms
    from dms.graph.build import build_graph
    from dms.graph.rowgraph import RowGraph

__all__ = ["build_graph", "graph_for", "links", "node_for", "trace", "TraceResult"]


def __getattr__(name: str):
    if name == "build_graph":
        from dms.graph.build import build_graph

        return build_graph
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


QUESTION_WAIT = 1.0  # seconds a question waits for a writer's lock to bring the links up to date, then answers
BUSY_MEMORY = 5.0  # seconds after a question found the writer busy during which the next one does not wait again
# A request's (or a command's) note of links read while behind: set to a dict by the web's response guard before
# a request; graph_for marks it, however deep in library code it is called (the dict is shared with the threads
# a request runs in, as context variables are copied into them). A note holding "brief" (a web request's) asks for
# at most one step of a derivation of every link (dms.graph.sync): the server's link keeper takes the others.
BEHIND_NOTE: ContextVar[dict | None] = ContextVar("links_behind_note", default=None)


def graph_for(dms: Dms, progress=None) -> RowGraph:
    """The current graph, read from the catalog's link rows (brought up to date first: dms.graph.sync, with
    `progress` told of a long derivation) one neighbourhood at a time (dms.graph.rowgraph). One per command or
    request: it keeps what it read. While another process holds the catalog's write lock past QUESTION_WAIT (a
    long ingest), or derives every link again (dms.graph.rebuild), it reads the rows as they are and says so
    (`behind`). A derivation from scratch the rows need, or one left by a killed process, it takes to its end (on
    the command line, with `progress`); in a web request, one step of it only."""
    from dms.errors import CatalogBusy
    from dms.graph.rowgraph import RowGraph
    from dms.graph.sync import sync

    busy_lately = dms.links_busy_at is not None and time.monotonic() - dms.links_busy_at < BUSY_MEMORY
    try:
        note = BEHIND_NOTE.get()
        sync(dms, progress, wait=0.0 if busy_lately else QUESTION_WAIT, question=True,  # one wait a page, not a call
             brief=bool(note and note.get("brief")))
        behind = False
    except CatalogBusy:
        behind = True
        dms.links_busy_at = time.monotonic()
        note = BEHIND_NOTE.get()
        if note is not None:
            note["behind"] = True
    g = RowGraph(dms.catalog, dms.matcher)
    g.behind = behind
    return g


def linked_ids(dms: Dms, ref: str, depth: int = 2) -> set[int]:
    """The ids of the documents tied to ref (and ref itself when it is a document): for `linked:` searches."""
    g = graph_for(dms)
    root = node_for(dms, g, ref)
    found = {d["id"] for d in trace(g, root, depth=depth, limit=10**9).documents}
    if root.startswith("doc:") and g.nodes[root]["kind"] == "document":  # not "document:<NUMBER>", an entity
        found.add(g.nodes[root]["id"])
    return found


def node_for(dms: Dms, g: nx.MultiDiGraph, ref: str) -> str:
    from dms.graph.build import doc_node, entity_node

    text = ref.strip()
    if text.startswith("doc:") and text in g:
        return text
    m = dms.matcher.fullmatch(text)
    if m and m.revision is None:
        node = entity_node(m.family, m.number)
        if node in g:
            return node
        raise NotFound(f"nothing in the archive refers to {m.number}")
    if m is None:
        upper = text.upper()
        if entity_node("product", upper) in g:
            return entity_node("product", upper)
        from dms.graph.rowgraph import nodes_of_kind

        parties = nodes_of_kind(g, "party", containing=text)  # a RowGraph asks the catalog: no scan of the graph
        if len(parties) == 1:
            return parties[0]
    from dms.documents import resolve

    return doc_node(resolve(dms, text).id)  # a document id, path, SHA-256 or number with revision
