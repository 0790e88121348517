"""The start page: what is in the archive, what is open, and what waits for the person signed in."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request

from dms import changes
from dms.ocr.pages import count_waiting
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(request: Request, who: Caller = caller()):
    archive = request.app.state.web.dms()
    requests = changes.listing(archive)
    return render(request, "dashboard.html", stats=archive.catalog.stats(),
                  recent=archive.catalog.recent_documents(12),
                  by_state=Counter(r["state"] for r in requests),
                  open_requests=[r for r in requests if r["state"] != "closed"][:15],
                  problems=archive.catalog.problems()[:8], needs_ocr=count_waiting(archive.catalog))
