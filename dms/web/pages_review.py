"""The Review page: documents whose number, revision or date could not be derived or is doubtful (dms.review)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from dms.review import PER_PAGE, REVIEWED, review
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


@router.get("/review")
def review_page(request: Request, field: str = "", page: int = 1, who: Caller = caller()):
    data = review(request.app.state.web.dms(), field or None, page, PER_PAGE)
    return render(request, "review.html", fields=REVIEWED, **data)
