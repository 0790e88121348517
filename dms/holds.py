"""Legal holds: matters whose documents may not be retired, purged or have their metadata rewritten.

A matter's scope is any mix of a saved query, a trace (a change request, product, party or
document and everything tied to it), explicit documents, products and change requests. It is
evaluated when asked, so a document ingested later that falls in scope is held too. Placing and
releasing a hold are recorded in the audit log; a released matter stays on file.
"""

from __future__ import annotations

import json

from dms import audit
from dms.app import Dms
from dms.catalog.db import utcnow
from dms.errors import NotFound, UsageError
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
        dms.matching_ids(scope["query"])  # a query that does not parse is refused now, not when it is needed
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
        if dms.catalog.conn.execute("SELECT 1 FROM matters WHERE name = ?", (name,)).fetchone():
            raise UsageError(f"there is a matter {name!r} already")
        dms.catalog.conn.execute(
            "INSERT INTO matters (name, description, custodian_notes, scope, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (name, description, custodian_notes, json.dumps(scope), by, utcnow()))
        audit.record(dms.catalog, by, "hold placed", f"matter:{name}",
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
        dms.catalog.conn.execute("UPDATE matters SET released_by = ?, released_at = ?, release_reason = ? "
                                 "WHERE name = ?", (by, utcnow(), reason.strip(), name))
        audit.record(dms.catalog, by, "hold released", f"matter:{name}", {"reason": reason.strip()})
    return get(dms, name)


_KEYS = ("id", "name", "description", "custodian_notes", "scope", "created_by", "created_at", "released_by",
         "released_at", "release_reason")


def listing(dms: Dms, include_released: bool = True) -> list[dict]:
    where = "" if include_released else "WHERE released_at IS NULL"
    rows = dms.catalog.conn.execute(f"SELECT {', '.join(_KEYS)} FROM matters {where} ORDER BY name").fetchall()
    return [{**dict(zip(_KEYS, r)), "scope": json.loads(r[4])} for r in rows]


def get(dms: Dms, name: str) -> dict:
    found = [m for m in listing(dms) if m["name"] == name.strip()]
    if not found:
        raise NotFound(f"there is no matter {name!r} (`dms hold list` shows them)")
    return found[0]


def _evaluate(dms: Dms, scope: dict) -> set[int]:
    from dms.graph import linked_ids

    ids = set(scope["documents"])
    if scope["query"]:
        ids |= dms.matching_ids(scope["query"])
    for ref in ([scope["trace"]] if scope["trace"] else []) + scope["products"] + scope["changes"]:
        ids |= linked_ids(dms, ref, depth=2 if ref == scope["trace"] else 1)
    return ids


def documents(dms: Dms, name: str) -> list[int]:
    """The ids of the documents the matter holds now."""
    return sorted(_evaluate(dms, get(dms, name)["scope"]))


def holds_on(dms: Dms, doc_id: int) -> list[str]:
    """The active matters that hold this document."""
    return [m["name"] for m in listing(dms, include_released=False) if doc_id in _evaluate(dms, m["scope"])]
