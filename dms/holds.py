"""Legal holds: matters whose documents may not be retired, purged or have their metadata rewritten.

A matter's scope is any mix of a saved query, a trace (a change request, product, party or
document and everything tied to it), explicit documents, products and change requests. It is
evaluated when asked, so a document ingested later that falls in scope is held too. Placing and
releasing a hold are recorded in the audit log; a released matter stays on file.

A change a hold forbids (dms.records) asks twice: `clear` before its write transaction (a quick refusal,
with the link rows as they are), `still_clear` inside it. Placing a hold is a write transaction too, and
BEGIN IMMEDIATE lets only one writer in at a time, so a hold placed between the two questions is seen
by the second: it either committed before the change's transaction began, or it waits for it to end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dms import audit, auditactions
from dms.app import Dms
from dms.catalog import matters
from dms.catalog.db import utcnow
from dms.errors import NotFound, OnHold, UsageError
from dms.search import matching_ids
from dms.users import acting

PLACE_ROLE = "coordinator"
RELEASE_ROLE = "manager"


def _scope(dms: Dms, query: str | None, trace: str | None, documents, products, changes) -> dict:
    from dms.documents import resolve
    from dms.graph import graph_for, node_for

    scope = {"query": (query or "").strip() or None, "trace": (trace or "").strip() or None,
             "documents": sorted({resolve(dms, str(d)).id for d in documents}),
             "products": sorted({p.strip().upper() for p in products if p.strip()}),
             "changes": sorted({c.strip().upper() for c in changes if c.strip()})}
    if not any(scope.values()):
        raise UsageError("a hold needs a scope: a query, a trace, documents, products or change requests")
    if scope["query"]:
        matching_ids(dms, scope["query"])  # a query that does not parse is refused now, not when it is needed
    g = graph_for(dms)
    for ref in ([scope["trace"]] if scope["trace"] else []) + scope["products"] + scope["changes"]:
        node_for(dms, g, ref)
    return scope


def place(dms: Dms, name: str, by: str, description: str = "", custodian_notes: str = "", query: str | None = None,
          trace: str | None = None, documents=(), products=(), changes=()) -> dict:
    acting(dms.catalog, by, PLACE_ROLE)
    name = name.strip()
    if not name:
        raise UsageError("a matter needs a name")
    scope = _scope(dms, query, trace, documents, products, changes)
    held = sorted(_evaluate(dms, scope))
    with dms.catalog.transaction():
        if matters.exists(dms.catalog, name):
            raise UsageError(f"there is a matter {name!r} already")
        matters.add(dms.catalog, name, description, custodian_notes, scope, by, utcnow())
        audit.record(dms.catalog, by, auditactions.HOLD_PLACED, f"matter:{name}",
                     {"scope": scope, "description": description, "documents_now": held},
                     also=[f"doc:{d}" for d in held])
    return get(dms, name)


def release(dms: Dms, name: str, by: str, reason: str) -> dict:
    acting(dms.catalog, by, RELEASE_ROLE)
    if not reason.strip():
        raise UsageError("releasing a hold needs a reason")
    name = get(dms, name)["name"]
    with dms.catalog.transaction():
        if not matters.release(dms.catalog, name, by, utcnow(), reason.strip()):  # released meanwhile: only one wins
            matter = get(dms, name)
            raise UsageError(f"the hold {name!r} was released already, by {matter['released_by']} on "
                             f"{matter['released_at']}")
        audit.record(dms.catalog, by, auditactions.HOLD_RELEASED, f"matter:{name}", {"reason": reason.strip()})
    return get(dms, name)


def listing(dms: Dms, include_released: bool = True) -> list[dict]:
    return matters.listing(dms.catalog, include_released)


def get(dms: Dms, name: str) -> dict:
    found = [m for m in listing(dms) if m["name"] == name.strip()]
    if not found:
        raise NotFound(f"there is no matter {name!r} (`dms hold list` shows them)")
    return found[0]


def _evaluate(dms: Dms, scope: dict) -> set[int]:
    from dms.graph import linked_ids

    ids = set(scope["documents"])
    if scope["query"]:
        ids |= matching_ids(dms, scope["query"])
    for ref in ([scope["trace"]] if scope["trace"] else []) + scope["products"] + scope["changes"]:
        ids |= linked_ids(dms, ref, depth=2 if ref == scope["trace"] else 1)
    return ids


def documents(dms: Dms, name: str) -> list[int]:
    """The ids of the documents the matter holds now."""
    return sorted(_evaluate(dms, get(dms, name)["scope"]))


def holds_on(dms: Dms, doc_id: int) -> list[str]:
    """The active matters that hold this document."""
    return [m["name"] for m in listing(dms, include_released=False) if doc_id in _evaluate(dms, m["scope"])]


@dataclass(frozen=True, slots=True)
class Clearance:
    """The finding that no active hold covered a document, and what `holds_on` answered it from."""

    doc_id: int
    inputs: tuple


def _inputs(dms: Dms) -> tuple:
    """What `holds_on` answers from: the active matters with their scopes and, when there are any, what the graph
    is built from and what the search index holds (their stamps). The same inputs give the same answer."""
    active = tuple((m["id"], m["name"], json.dumps(m["scope"], sort_keys=True))
                   for m in listing(dms, include_released=False))
    if not active:
        return ()
    from dms.catalog.indexstamp import index_stamp
    from dms.graph.stamp import stamp

    return active, stamp(dms), index_stamp(dms.catalog)


def _refuse(doc_id: int, held_by: list[str], what: str) -> None:
    if held_by:
        raise OnHold(f"document {doc_id} is under legal hold ({', '.join(held_by)}): it cannot be {what}; "
                     "the hold must be released first")


def clear(dms: Dms, doc_id: int, what: str) -> Clearance:
    """Refuse (OnHold, naming the matters) a change `what` ("retired", "purged", "edited") of a document that an
    active hold covers; else the finding, for `still_clear` to confirm inside the write transaction."""
    inputs = _inputs(dms)  # read before the answer: whatever changes after it shows in the inputs
    _refuse(doc_id, holds_on(dms, doc_id) if inputs else [], what)
    return Clearance(doc_id, inputs)


def still_clear(dms: Dms, clearance: Clearance, what: str) -> None:
    """Inside the change's write transaction: refuse it when a hold covers the document now. `holds_on` is
    evaluated again only when what it answers from changed since `clear` (inside a transaction the graph is
    built afresh, never taken from its cache, which costs time on a large archive)."""
    dms.catalog.require_transaction("holds.still_clear")
    if _inputs(dms) != clearance.inputs:
        _refuse(clearance.doc_id, holds_on(dms, clearance.doc_id), what)
