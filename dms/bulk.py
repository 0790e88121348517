"""Actions on a selection of documents (the hits ticked on the search page): hold them, link them.

Each action goes through the library call that does it for one item (dms.holds, dms.graph.manual), so the
same rules, roles and audit entries apply; a selection is bounded by MAX_SELECTION.
"""

from __future__ import annotations

from dms import audit, holds
from dms.app import Dms
from dms.auditactions import HOLD_EXTENDED
from dms.catalog import matters
from dms.errors import NotFound, UsageError
from dms.users import acting

LINK_ROLE = "coordinator"
MAX_SELECTION = 500


def selected(dms: Dms, doc_ids) -> list[int]:
    """The ticked document ids, checked: at least one, at most MAX_SELECTION, each a document."""
    ids = sorted({int(i) for i in doc_ids})
    if not ids:
        raise UsageError("select at least one document first")
    if len(ids) > MAX_SELECTION:
        raise UsageError(f"at most {MAX_SELECTION} documents at once")
    for doc_id in ids:
        dms.catalog.document(doc_id)  # NotFound for an id that is no document
    return ids


def hold(dms: Dms, doc_ids, by: str, matter: str, description: str = "") -> dict:
    """Put the documents under the matter's hold: added to its scope if it is active, or a new matter placed
    on them. Returns the matter and which documents were new to it."""
    acting(dms.catalog, by, holds.PLACE_ROLE)
    ids, name = selected(dms, doc_ids), " ".join((matter or "").split())
    if not name:
        raise UsageError("name the matter to hold the documents under (an active one, or a new name)")
    found = matters.scope_of(dms.catalog, name)
    if found is None:
        placed = holds.place(dms, name, by, description or "placed on documents selected in a search",
                             documents=[str(i) for i in ids])
        return {"matter": placed, "added": ids, "created": True}
    before = set(holds.documents(dms, name))
    with dms.catalog.transaction():
        matter_id, scope, released_at = matters.scope_of(dms.catalog, name)
        if released_at:
            raise UsageError(f"the hold {name!r} was released on {released_at[:10]}: place a new one")
        added = [i for i in ids if i not in scope["documents"]]
        if added:
            scope = {**scope, "documents": sorted(set(scope["documents"]) | set(added))}
            matters.set_scope(dms.catalog, name, scope)
            audit.record(dms.catalog, by, HOLD_EXTENDED, f"matter:{name}",
                         {"documents_added": added, "scope": scope}, also=[f"doc:{i}" for i in added])
    return {"matter": holds.get(dms, name), "added": [i for i in ids if i not in before], "created": False}


def link(dms: Dms, doc_ids, target: str, kind: str, reason: str, by: str) -> dict:
    """Link every selected document to the target (a document, change request, product or party), each by
    hand with the same type and reason. The target itself is left out of the selection."""
    from dms.graph import graph_for, node_for
    from dms.graph.manual import TYPES, add_link

    acting(dms.catalog, by, LINK_ROLE)
    ids = selected(dms, doc_ids)
    if not (target or "").strip():
        raise UsageError("name what to link the documents to: a document number, change request or id")
    if kind not in TYPES:
        raise UsageError(f"unknown link type {kind!r}; types are: {', '.join(TYPES)}")
    if not (reason or "").strip():
        raise UsageError("a link needs a reason: say why these belong together")
    graph = graph_for(dms)  # one graph checks every end, before anything is written
    try:
        node = node_for(dms, graph, target)
    except NotFound as exc:
        raise NotFound(f"cannot link to {target!r}: {exc}") from None
    sources = [f"doc:{i}" for i in ids if f"doc:{i}" != node]
    if not sources:
        raise UsageError("a document cannot be linked to itself: select others")
    missing = [s for s in sources if s not in graph]
    if missing:  # retired or purged: not in the graph
        raise UsageError(f"cannot link {', '.join(missing)}: not in the archive's graph (retired or purged)")
    existing = {(m["source"], m["target"], m["type"]) for m in dms.catalog.manual_links() if not m.get("removed_at")}
    new = [s for s in sources if (s, node, kind) not in existing]  # linked so already: not twice
    with dms.catalog.transaction():  # all the links or none
        made = [add_link(dms, source, node, kind, reason, by, graph=graph) for source in new]
    return {"target": node, "links": made, "already": [s for s in sources if s not in new]}
