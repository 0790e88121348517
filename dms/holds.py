"""Legal holds: matters whose documents may not be retired, purged or have their metadata rewritten.

A matter's scope is any mix of a saved query, a trace (a change request, product, party or
document and everything tied to it), explicit documents, products and change requests. It is
evaluated when asked, so a document ingested later that falls in scope is held too. Placing and
releasing a hold are recorded in the audit log; a released matter stays on file.
"""

from __future__ import annotations

from dms import audit, auditactions
from dms.app import Dms
from dms.catalog import matters
from dms.catalog.db import utcnow
from dms.errors import NotFound, UsageError
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
    matter = get(dms, name)
    if matter["released_at"]:
        raise UsageError(f"the hold {name!r} was released already on {matter['released_at']}")
    with dms.catalog.transaction():
        matters.release(dms.catalog, name, by, utcnow(), reason.strip())
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
