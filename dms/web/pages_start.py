"""The start page: what is in the archive, what is open, and what waits for the person signed in (change requests
on a step their role takes, and their follow-ups: open actions, replies owed or awaited, plan findings)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from dms import changes, views
from dms.changes.views import counts
from dms.followup.listing import followups
from dms.ocr.pages import count_waiting
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)
PANEL_TITLES = {"review": "To review", "decide": "To decide", "authorize": "To authorize",
                "implement": "To implement", "release": "To release and close"}


@router.get("/")
def dashboard(request: Request, who: Caller = caller()):
    archive = request.app.state.web.dms()
    requests = changes.listing(archive)
    from dms.retro.overview import product_codes

    follow = [f for f in followups(archive, user=who.name) if f.kind != "change request"]  # those are the panels
    return render(request, "dashboard.html", stats=archive.catalog.stats(), followups=follow,
                  recent=archive.catalog.recent_documents(12), requests=counts(archive),
                  open_requests=[r for r in requests if r["state"] != "closed"][:15],
                  waiting=changes.waiting_for(archive, who.name), panel_titles=PANEL_TITLES,
                  mine=changes.mine(archive, who.name), pinned=views.pinned(archive.catalog, who.name),
                  products=product_codes(archive),
                  problems=archive.catalog.problems()[:8], needs_ocr=count_waiting(archive.catalog))
