"""The web application: pages for people, JSON under /api/v1 for scripts, both over the same library.

Errors are translated here and only here: a `DmsError` becomes the HTTP status of its class
(`dms.errors.http_status`), as JSON under /api/ and as a page elsewhere; a browser that is not
signed in is sent to the sign-in page.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from dms import errors
from dms.config import Settings
from dms.web.state import HERE, WebState

# Plain `def` routes run on a pool of threads, and each thread keeps an open archive of its own (dms.web.state),
# so with a PostgreSQL catalog each thread holds one connection to the server. Several `dms serve` share that
# server's connections (max_connections, 100 by default): on PostgreSQL a server runs at most this many route
# threads (the pool's default is 40), so five servers with their courier, link keeper and OCR threads (and a preview
# queue) stay under 100.
THREADS_ON_POSTGRESQL = 16


def create_app(settings: Settings) -> FastAPI:
    state = WebState(settings)

    @asynccontextmanager
    async def lifespan(app):
        from dms.web.linkkeeper import LinkKeeper
        from dms.web.notices import Courier

        if settings.database_url:
            from anyio.to_thread import current_default_thread_limiter

            current_default_thread_limiter().total_tokens = THREADS_ON_POSTGRESQL
        courier = Courier(state)  # notices still in the outbox: delivered now and every DMS_NOTICE_RETRY s
        courier.start()
        keeper = LinkKeeper(state)  # the link rows derived in the background, not by a request (dms.web.linkkeeper)
        keeper.start()
        state.ocr.start()  # scanned pages left waiting are read in the background (dms.ocr.queue)
        yield
        keeper.stop()
        courier.stop()
        if getattr(state, "preview_queue", None) is not None:  # made on the first preview asked for
            state.preview_queue.stop()
        state.close()

    app = FastAPI(title="dms", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,  # served by dms.web.api, behind sign-in like everything else
                  description="Document management and cross-reference indexing. Every route but "
                              "/api/v1/health needs `Authorization: Bearer <token>` (`dms user token create`).")
    app.state.web = state
    from importlib.resources import files

    swagger = files("fastapi_offline") / "static"  # Swagger UI's own files, from a pip package
    app.mount("/static/swagger", StaticFiles(directory=str(swagger)), name="swagger")  # before /static
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from dms.web import (
        api,
        api_evidence,
        pages_admin,
        pages_changes,
        pages_docs,
        pages_evidence,
        pages_graph,
        pages_review,
        pages_search,
        pages_start,
    )

    for module in (pages_admin, pages_start, pages_search, pages_docs, pages_evidence, pages_graph, pages_changes,
                   pages_review):
        app.include_router(module.router)
    from dms.web import pages_products

    app.include_router(pages_products.router)
    from dms.web import pages_parties  # parties renamed and merged (dms.parties)

    app.include_router(pages_parties.router)
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(api_evidence.router, prefix="/api/v1")
    from dms.web.pages_preview import router as preview_router  # thumbnails, page images, the viewer

    app.include_router(preview_router)
    from dms.web import api_plans, pages_plans  # lifecycle plans, checks and follow-ups (issue 16)

    app.include_router(pages_plans.router)
    app.include_router(api_plans.router, prefix="/api/v1")
    _error_handlers(app)

    from dms.web.security import ResponseGuard

    app.add_middleware(ResponseGuard, max_body=int(settings.upload_max_mb * 2**20))
    return app


def _version() -> str:
    from importlib.metadata import version

    return version("dms")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, kind: str, message: str):
    """The error as JSON under /api/, else as a page that keeps the navigation of whoever is signed in (also
    when the error came before the route knew them: a page that does not exist, a role that is too low)."""
    if _wants_json(request):
        return JSONResponse({"error": {"type": kind, "status": status, "message": message}}, status_code=status)
    from dms.web.render import render

    if getattr(request.state, "caller", None) is None:
        request.state.caller = _signed_in(request)
    return render(request, "error.html", status=status, kind=kind, message=message, back=_back(request))


def _signed_in(request: Request):
    """Who the session cookie belongs to, for the navigation of an error page; None if nobody (or the catalog
    cannot tell: the page then shows the error without the navigation)."""
    from dms import auth
    from dms.web.security import SESSION_COOKIE, Caller

    try:
        live = auth.session(request.app.state.web.dms().catalog, request.cookies.get(SESSION_COOKIE))
    except errors.DmsError:
        return None
    return Caller(live.user, live)


def _back(request: Request) -> str | None:
    """The page of this site the person came from (the Referer, same origin only), to offer a way back."""
    referer = urlsplit(request.headers.get("referer", ""))
    if (referer.netloc != request.url.netloc or not referer.path.startswith("/") or referer.path.startswith("//")
            or "\\" in referer.path or referer.path == request.url.path):  # //host would leave the site
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.DmsError)
    async def dms_error(request: Request, exc: errors.DmsError):
        if isinstance(exc, errors.NotSignedIn) and not _wants_json(request) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)
        message = str(exc)
        if type(exc) is errors.CatalogError:  # the catalog unreachable or failing: it names server, database, role
            # that is for the server's log, not for every visitor (busy, damaged, duplicate say what to do instead)
            logging.getLogger("dms.web").error("%s %s: %s", request.method, request.url.path, message)
            message = "the catalog cannot be used right now; try again later (the server's log says why)"
        return _error(request, errors.http_status(exc), type(exc).__name__, message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path", "form"))
            parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
        return _error(request, 400, "UsageError", "; ".join(parts) or "the request is malformed")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        cause = exc.__cause__
        if isinstance(cause, errors.DmsError):  # e.g. an upload over the limit while FastAPI read the body
            return await dms_error(request, cause)
        message = {404: "there is no such page", 405: "this address does not take that method"}.get(
            exc.status_code, str(exc.detail))
        return _error(request, exc.status_code, "HTTPError", message)
