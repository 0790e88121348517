"""What `dms change show|list`, the web pages and the API show of change requests: one place for all three.

A list holds requests in the workflow and, when asked (the web's default), those on file: change requests
known only from archive documents. Both answer the same filters: the state ("on file" picks those on
file), the product (for those on file: a product their request documents are about), the applicant
(those on file have none) and the opening date (for those on file: the date of the earliest request
document, else of the minutes that decided it).
"""

from __future__ import annotations

import re

from dms.app import Dms
from dms.changes.onfile import all_on_file, on_file
from dms.changes.rules import allowed_actions
from dms.changes.workflow import STATES, check, get, history, listing
from dms.errors import NotFound, UsageError
from dms.users import User

SOURCES = ("all", "workflow", "on file")  # which requests a list holds
ON_FILE_STATES = ("on file", "cited only")  # the states of requests known only from archive documents


def describe(dms: Dms, number: str) -> dict:
    """A request in the workflow with its history and amendment status; else as it is on file in the archive."""
    try:
        cr = get(dms, number)
    except NotFound:
        return on_file(dms, number)
    return {**cr.to_dict(), "history": history(dms, cr.number), "amendments": check(dms, cr.number)}


def with_actions(request: dict, user: User | None) -> dict:
    """The request's JSON with `allowed_actions`: what this user may do on it now (dms.changes.rules); nothing
    on a request that is only on file, nothing for nobody."""
    on_file = request.get("state") in ON_FILE_STATES or request.get("source") == "on file"
    allowed = () if on_file or user is None else allowed_actions(request, user)
    return {**request, "allowed_actions": list(allowed)}


def acting_user(dms: Dms, name: str | None) -> User | None:
    """The named user, or None if there is no such user (who then may do nothing)."""
    from dms.users import get as get_user

    try:
        return get_user(dms.catalog, name) if name else None
    except NotFound:
        return None


def catalogue(dms: Dms, state: str | None = None, product: str | None = None, applicant: str | None = None,
              since: str | None = None, until: str | None = None, with_archive: bool = False,
              source: str | None = None) -> list[dict]:
    """Requests, filtered. `source` is one of SOURCES; without it, `with_archive` chooses "all" over "workflow".
    Each row says where it is kept (`source`: "workflow" or "on file")."""
    source = source or ("all" if with_archive else "workflow")
    if source not in SOURCES:
        raise UsageError(f"source is one of: {', '.join(SOURCES)}")
    if state and state not in (*STATES, *ON_FILE_STATES):
        raise UsageError(f"state is one of: {', '.join((*STATES, 'on file'))}")
    for bound in (since, until):
        if bound and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", bound):
            raise UsageError(f"dates are written YYYY-MM-DD, not {bound!r}")
    rows = []
    if source != "on file" and state not in ON_FILE_STATES:
        rows = [{**r, "source": "workflow"} for r in listing(dms, state, product, applicant, since, until)]
    if source != "workflow" and (not state or state in ON_FILE_STATES) and not applicant:
        known = {r["number"] for r in listing(dms)}
        rows += [r for r in on_file_rows(dms) if r["number"] not in known and _keeps(r, state, product, since, until)]
    return rows


def on_file_rows(dms: Dms) -> list[dict]:
    """Every request on file as a list row: number, title, state, decision, products, opened, documents."""
    from dms.graph import graph_for

    g = graph_for(dms)
    out = []
    for record in all_on_file(dms):
        docs = record["documents"] or record["decided_in"]
        products = sorted({t.split(":", 1)[1] for d in record["documents"]
                           for _, t in g.out_edges(f"doc:{d['id']}") if t.startswith("product:")})
        out.append({"number": record["number"], "title": record.get("title", ""), "applicant": "",
                    "state": record["state"], "decision": record.get("decision"), "products": products,
                    "opened": min((d["date"] for d in docs if d["date"]), default=None), "source": "on file",
                    "doc_id": record["documents"][0]["id"] if record["documents"] else None})
    return out


def _keeps(row: dict, state: str | None, product: str | None, since: str | None, until: str | None) -> bool:
    if state == "on file" and row["state"] not in ON_FILE_STATES:
        return False
    if state and state != "on file" and row["state"] != state:
        return False
    if product and product.strip().upper() not in row["products"]:
        return False
    if (since or until) and not row["opened"]:
        return False
    return not ((since and row["opened"] < since) or (until and row["opened"] > until))


def counts(dms: Dms) -> dict:
    """How many requests there are: in the workflow by state, and on file (known only from the archive)."""
    from collections import Counter

    workflow = listing(dms)
    known = {r["number"] for r in workflow}
    return {"by_state": dict(Counter(r["state"] for r in workflow)),
            "workflow": len(workflow),
            "on_file": sum(1 for r in all_on_file(dms) if r["number"] not in known)}
