"""Bulk actions on the hits ticked on the search page: hold them, link them (dms.bulk), bundle them."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from dms import bulk, holds
from dms.errors import UsageError
from dms.graph import linktypes
from dms.web.pages_evidence import bundle_response
from dms.web.render import node_url
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)
ACTIONS = ("hold", "link", "bundle")


def open_matters(archive, who: Caller) -> list[str]:
    """Names of the active matters a bulk hold can add to (none for who may not place holds)."""
    if not who.user.at_least(holds.PLACE_ROLE):
        return []
    return [m["name"] for m in holds.listing(archive, include_released=False)]


@router.post("/bulk")
def bulk_action(request: Request, action: str = Form(""), doc: list[int] = Form([]), matter: str = Form(""),
                new_matter: str = Form(""), target: str = Form(""), link_type: str = Form(linktypes.RELATES_TO),
                reason: str = Form(""), who: Caller = caller("coordinator")):
    archive = request.app.state.web.dms()
    if action not in ACTIONS:
        raise UsageError(f"choose what to do with the selected documents: {', '.join(ACTIONS)}")
    if action == "hold":
        done = bulk.hold(archive, doc, who.name, new_matter.strip() or matter)
        return RedirectResponse(f"/holds/{done['matter']['id']}", status_code=303)
    if action == "bundle":  # a dispute bundle of exactly the ticked documents, downloaded
        return bundle_response(archive, who, documents=bulk.selected(archive, doc))
    done = bulk.link(archive, doc, target, link_type, reason, who.name)
    return RedirectResponse(node_url(done["target"], archive.rules.change_families), status_code=303)
