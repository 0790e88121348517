"""What `dms change show|list`, the web pages and the API show of change requests: one place for all three."""

from __future__ import annotations

from dms.app import Dms
from dms.changes.onfile import all_on_file, on_file
from dms.changes.workflow import check, get, history, listing
from dms.errors import NotFound


def describe(dms: Dms, number: str) -> dict:
    """A request in the workflow with its history and amendment status; else as it is on file in the archive."""
    try:
        cr = get(dms, number)
    except NotFound:
        return on_file(dms, number)
    return {**cr.to_dict(), "history": history(dms, cr.number), "amendments": check(dms, cr.number)}


def catalogue(dms: Dms, state: str | None = None, product: str | None = None, applicant: str | None = None,
              since: str | None = None, until: str | None = None, with_archive: bool = False) -> list[dict]:
    """Requests in the workflow, filtered; with_archive adds those known only from archive documents
    (when no filter is given: they have no workflow state, applicant or opening date to filter on)."""
    rows = listing(dms, state, product, applicant, since, until)
    if with_archive and not (state or product or applicant or since or until):
        known = {r["number"] for r in rows}
        rows += [{"number": r["number"], "title": r.get("title", ""), "applicant": "", "state": r["state"],
                  "decision": r.get("decision")}
                 for r in all_on_file(dms) if r["number"] not in known]
    return rows
