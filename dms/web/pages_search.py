"""The start page, search, problems and upload."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dms.errors import UsageError
from dms.web import uploads
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)

EXAMPLES = [
    ("lid hinge", "documents with both words"),
    ('"heating element"', "an exact phrase"),
    ("type:minutes decision", "only minutes"),
    ("product:KX200 year:2023", "one product, one year"),
    ("date:[2023-01 to 2023-06]", "a date range"),
    ("SPEC-KX200-02", "an identifier: its document first"),
    ("linked:CR-2023-003", "everything tied to a change request"),
    ("therm*  warrenty~", "prefix and fuzzy"),
]


@router.get("/search")
def search_page(request: Request, q: str = "", sort: str = "relevance", page: int = 1, limit: int = 20,
                as_of: str = "", who: Caller = caller()):
    params = {"q": q, "sort": sort, "limit": limit, "as_of": as_of}
    if not q.strip():
        return render(request, "search.html", q=q, results=None, params=params, examples=EXAMPLES, error=None)
    try:
        results = request.app.state.web.dms().search(q, sort=sort, page=page, limit=limit, as_of=as_of or None)
    except UsageError as exc:
        return render(request, "search.html", status=400, q=q, results=None, params=params, examples=EXAMPLES,
                      error=str(exc))
    pages = max(1, -(-results.total // limit))
    return render(request, "search.html", q=q, quick_query=q, results=results, params=params, examples=EXAMPLES,
                  error=None, pages=pages)


@router.get("/problems")
def problems_page(request: Request, all: bool = False, who: Caller = caller()):
    rows = request.app.state.web.dms().catalog.problems(include_old=all)
    return render(request, "problems.html", problems=rows, include_old=all)


@router.get("/upload")
def upload_page(request: Request, who: Caller = caller("coordinator")):
    return render(request, "upload.html", result=None, limit_mb=request.app.state.web.settings.upload_max_mb)


@router.post("/upload")
async def upload(request: Request, who: Caller = caller("coordinator")):
    state = request.app.state.web
    form = await request.form()
    try:
        # a browser sends an empty file field as a plain value, not a file: it counts as no file
        written = await uploads.save(state, [f for f in form.getlist("files") if isinstance(f, UploadFile)], who.name)
    finally:
        await form.close()  # the spooled temporary files
    result = await run_in_threadpool(uploads.ingest_saved, state, written, who.name)
    return render(request, "upload.html", result=result, limit_mb=state.settings.upload_max_mb)
