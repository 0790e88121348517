"""Parties in the browser: every party documents name, renamed and merged by hand, and each change undone.

A refused change (an empty reason, a name taken, a party nobody names) is shown above the form it came from,
with what was typed kept; being refused for a role is the 403 page, as elsewhere.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from dms import parties
from dms.errors import NotFound, UsageError
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


def _page(request: Request, status: int = 200, **context):
    archive = request.app.state.web.dms()
    done = request.query_params.get("done")
    return render(request, "parties.html", status=status, parties=parties.listing(archive),
                  history=parties.history(archive), role=parties.ROLE, done=done, form=context.pop("form", {}),
                  **context)


@router.get("/parties")
def parties_page(request: Request, who: Caller = caller()):
    return _page(request)


def _apply(request: Request, work, form: dict, where: str, *args):
    try:
        result = request.app.state.web.write(work, *args)
    except (UsageError, NotFound) as exc:
        return _page(request, status=400, error=str(exc), error_at=where, form=form)
    return RedirectResponse(f"/parties?done={result['id']}", status_code=303)


@router.post("/parties/merge")
def merge_parties(request: Request, names: list[str] = Form(default=[]), into: str = Form(""),
                  reason: str = Form(""), who: Caller = caller(parties.ROLE)):
    form = {"names": names, "into": into, "reason": reason}
    if not names:
        return _page(request, status=400, error="tick the parties to merge", error_at="merge", form=form)
    return _apply(request, parties.merge, form, "merge", names, into, who.name, reason)


@router.post("/parties/rename")
def rename_party(request: Request, name: str = Form(""), new_name: str = Form(""), reason: str = Form(""),
                 who: Caller = caller(parties.ROLE)):
    form = {"name": name, "new_name": new_name, "reason": reason}
    return _apply(request, parties.rename, form, "rename", name, new_name, who.name, reason)


@router.post("/parties/changes/{change_id}/undo")
def undo_change(request: Request, change_id: int, reason: str = Form(""), who: Caller = caller(parties.ROLE)):
    return _apply(request, parties.undo, {"undo": change_id, "reason": reason}, f"undo-{change_id}", change_id,
                  who.name, reason)
