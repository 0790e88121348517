"""Search, problems and upload. The search page refines: filters as removable chips (dms.filters), facets that
toggle, a page size, saved views (dms.web.pages_views) and bulk actions on selected hits (dms.web.pages_bulk)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dms import filters as refine
from dms import views
from dms.catalog.headings import identities
from dms.errors import UsageError
from dms.graph.manual import TYPES
from dms.search import search
from dms.titles import heading
from dms.web import pages_bulk, pages_views, uploads
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)
# saved views and bulk actions belong to the search page: their routes are served with it
router.include_router(pages_views.router)
router.include_router(pages_bulk.router)

# The help's examples: each one finds something in the sample archive (tests/test_web_lists.py checks them all).
EXAMPLES = [
    ("lid hinge", "documents with both words"),
    ('"heating element"', "an exact phrase"),
    ("type:minutes decision", "only minutes"),
    ("product:KX200 year:2023", "one product, one year"),
    ("date:[2023-01 to 2023-06]", "a date range"),
    ("SPEC-KX200-02", "an identifier: its document first"),
    ("linked:CR-2023-003", "everything tied to a change request"),
    ("therm*", "a prefix: thermostat, thermal …"),
    ("thermostet~", "fuzzy: one typo away (~2: two)"),
]


def search_url(params: dict, **changes) -> str:
    """/search with the page's parameters, some changed (None drops one; f is a list)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "", [])}
    return "/search" + ("?" + urlencode(merged, doseq=True) if merged else "")


def filtered_url(params: dict, filters: refine.Filters | None) -> str:
    """The page with other filters (None: none), from its first page."""
    return search_url(params, page=None, **(filters or refine.Filters()).params())


def _titled(archive, hits) -> list[tuple[object, str]]:
    """Each hit with the line that names it: number, revision and title (one catalog query for the page)."""
    known = identities(archive.catalog, [h.id for h in hits])
    out = []
    for h in hits:
        row = known.get(h.id, {})
        out.append((h, heading(row.get("number"), row.get("revision"), row.get("title") or h.title,
                               h.title or row.get("name") or h.path)))
    return out


@router.get("/search")
def search_page(request: Request, q: str = "", f: list[str] = Query([]), date_from: str = Query("", alias="from"),
                date_to: str = Query("", alias="to"), sort: str = "relevance", page: int = 1, limit: int = 20,
                as_of: str = "", who: Caller = caller()):
    archive = request.app.state.web.dms()
    params = {"q": q, "f": list(f), "from": date_from, "to": date_to, "sort": sort, "limit": limit, "as_of": as_of}
    context = {"q": q, "quick_query": q, "params": params, "examples": EXAMPLES, "search_url": search_url,
               "filtered_url": filtered_url, "link_types": TYPES,
               "page_sizes": refine.PAGE_SIZES, "results": None, "hits": [], "chips": [], "active": None,
               "error": None, "pages": 1, "saved": views.listing(archive.catalog, who.name),
               "view_query": _view_query(params)}
    try:
        active = refine.parse(f, date_from, date_to)
        context["active"] = active
        if not q.strip() and not active:
            return render(request, "search.html", **context)
        results = search(archive, q, filters=active, as_of=as_of or None, sort=sort, page=page, limit=limit)
    except UsageError as exc:
        return render(request, "search.html", status=400, **{**context, "error": str(exc)})
    context.update(results=results, hits=_titled(archive, results.hits), chips=active.chips(),
                   pages=max(1, -(-results.total // limit)), holds=pages_bulk.open_matters(archive, who),
                   bundle_query=_bundle_query(archive, q, active, results))
    return render(request, "search.html", **context)


def _bundle_query(archive, q: str, active: refine.Filters, results) -> str | None:
    """The query a bundle of all the results is made from: the query text and the filters in dms's query
    language, read strictly as bundles read it. None when that would not select what the page lists (a query
    read as plain words or ranked by how many words match, which a strict reading does not do)."""
    if getattr(results, "notice", None) or getattr(results, "ranked", None) or not results.total:
        return None
    text = " ".join(p for p in ((f"({q})" if active else q) if q.strip() else "", active.query()) if p)
    try:
        from dms.index import query as strict

        strict.parse(text, archive.matcher, archive.backend.limits)
    except UsageError:
        return None
    return text


def _view_query(params: dict) -> str:
    """The page's search as a saved view keeps it (no page number)."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "", [])}, doseq=True)


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
