"""Change requests that exist only as documents in the archive (from before dms, or from elsewhere).

They are recognised by their identifier and shown from the cross-reference graph: the documents
that are the request, the minutes that decided it, the revisions that amend it. They are never
copied into the workflow, and new numbers are allocated after theirs.
"""

from __future__ import annotations

import re

from dms.app import Dms
from dms.errors import NotFound

DECISION = re.compile(r"\bDecision:\s*(\w+)", re.IGNORECASE)


def on_file(dms: Dms, number: str) -> dict:
    from dms.graph import graph_for

    g = graph_for(dms)
    node = f"change_request:{number.upper()}"
    if node not in g:
        raise NotFound(f"there is no change request {number.upper()}, in the workflow or in the archive")
    record = {"number": number.upper(), "state": "on file", "documents": [], "decided_in": [], "amended_by": []}
    for doc, _, data in g.in_edges(node, data=True):
        attrs = g.nodes[doc]
        item = {"id": attrs["id"], "title": attrs["title"], "path": attrs["path"], "date": attrs["date"]}
        if data["type"] == "identifies":
            record["documents"].append(item)
            record.setdefault("title", attrs["title"])
        elif data["type"] == "amends":
            record["amended_by"].append({**item, "revision": attrs.get("revision")})
    for _, doc, data in g.out_edges(node, data=True):
        if data["type"] == "decided_in":
            m = DECISION.search(data["evidence"])
            attrs = g.nodes[doc]
            record["decided_in"].append({"id": attrs["id"], "title": attrs["title"], "date": attrs["date"],
                                         "decision": m.group(1).lower() if m else None})
            if m:
                record["decision"] = m.group(1).lower()
    if not record["documents"] and not record["decided_in"]:
        record["state"] = "cited only"
    return record


def all_on_file(dms: Dms) -> list[dict]:
    from dms.graph import graph_for

    g = graph_for(dms)
    numbers = sorted(n.split(":", 1)[1] for n, a in g.nodes(data=True) if a["kind"] == "change_request")
    return [on_file(dms, n) for n in numbers]
