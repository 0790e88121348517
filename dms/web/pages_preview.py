"""See the original: a document's thumbnail, page images, word boxes of hits, and the viewer.

Requests only read the preview cache (`dms.preview.cache`). What is not there yet is asked of the preview
queue (`dms.preview.queue`, a worker process of its own) and answered at once with a placeholder, so no request
waits for a rendering. Nothing is served for a document whose original is no longer in the store (purged).
"""

from __future__ import annotations

import html
import json
import threading

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from dms.app import Dms
from dms.catalog.db import DocumentRow
from dms.errors import NotFound
from dms.preview import cache, words
from dms.preview.html import HTML_KINDS, sanitise
from dms.preview.images import RENDERED_KINDS
from dms.preview.queue import PreviewQueue
from dms.preview.spec import spec_for
from dms.preview.task import makes_previews
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)
_guard = threading.Lock()
CACHED = {"Cache-Control": "private, max-age=300"}  # by document id, so a new version shows within minutes
PENDING = {"Cache-Control": "no-store", "X-Preview": "pending"}
FRAGMENT_CSP = "default-src 'none'; img-src data:; sandbox; frame-ancestors 'none'"  # opened on its own: inert


def queue_of(request: Request) -> PreviewQueue:
    state = request.app.state
    with _guard:
        if getattr(state, "preview_queue", None) is None:
            settings = state.web.settings
            state.preview_queue = PreviewQueue(spec_for(settings), settings.worker_memory_mb)
        return state.preview_queue


def _doc(archive: Dms, doc_id: int) -> tuple[DocumentRow, cache.PreviewDir, bool]:
    """The document, its previews, and whether its original is still stored (else nothing is shown)."""
    doc = archive.catalog.document(doc_id)
    d = cache.preview_dir(cache.root_of(archive.settings.home), doc.version.sha256)
    return doc, d, archive.store.path_for(doc.version.sha256).is_file()


def placeholder(label: str, width: int = 160, height: int = 226) -> Response:
    """A neutral page with the kind of file written on it, for a preview not (yet) made."""
    text = html.escape(label.upper()[:8])
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 160 226">'
           '<rect x="0.5" y="0.5" width="159" height="225" fill="#f4f4f2" stroke="#c8c8c4"/>'
           '<path d="M120 0.5v40h39.5" fill="none" stroke="#c8c8c4"/>'
           f'<text x="80" y="124" font-family="sans-serif" font-size="22" fill="#8a8a86" text-anchor="middle">{text}'
           "</text></svg>")
    return Response(svg, media_type="image/svg+xml", headers=PENDING)


def _ask(request: Request, archive: Dms, doc: DocumentRow, what: str) -> None:
    kind = doc.version.kind or ""
    if makes_previews(kind):
        queue_of(request).ask(archive.store.path_for(doc.version.sha256), kind, doc.version.sha256, what)


@router.get("/documents/{doc_id}/thumb")
def thumb(request: Request, doc_id: int, who: Caller = caller()):
    archive = request.app.state.web.dms()
    doc, d, stored = _doc(archive, doc_id)
    if stored and d.thumb.is_file():
        return FileResponse(d.thumb, media_type="image/png", headers=CACHED)
    if stored and doc.version.kind in RENDERED_KINDS and d.failure("thumb") is None:
        _ask(request, archive, doc, "thumb")
    return placeholder(doc.version.kind or "file")


@router.get("/documents/{doc_id}/pages/{n}.png")
def page_png(request: Request, doc_id: int, n: int, who: Caller = caller()):
    archive = request.app.state.web.dms()
    doc, d, stored = _doc(archive, doc_id)
    if not stored or doc.version.kind not in RENDERED_KINDS or not 1 <= n <= max(doc.version.page_count, 1):
        raise NotFound(f"document {doc_id} has no page image {n}")
    if d.page(n).is_file():
        return FileResponse(d.page(n), media_type="image/png", headers=CACHED)
    if d.failure(f"page-{n}") is None:
        _ask(request, archive, doc, f"page-{n}")
    return placeholder("…", 620, 877)


@router.get("/documents/{doc_id}/pages/{n}/boxes")
def page_boxes(request: Request, doc_id: int, n: int, q: str = "", who: Caller = caller()):
    """{"state": ready|pending|none, "boxes": [[x0, y0, x1, y1], ...] in fractions of the page, "source"}."""
    archive = request.app.state.web.dms()
    doc, d, stored = _doc(archive, doc_id)
    out = {"page": n, "state": "none", "boxes": [], "source": None, "reason": None}
    if not stored or doc.version.kind not in RENDERED_KINDS or not 1 <= n <= max(doc.version.page_count, 1):
        out["reason"] = "this document has no page images"
    elif d.words(n).is_file():
        saved = json.loads(d.words(n).read_text(encoding="utf-8"))
        out.update(state="ready", source=saved.get("source"), boxes=words.hits(saved, archive.matcher, q))
    elif (why := d.failure(f"words-{n}")) is not None:
        out["reason"] = why
    else:
        _ask(request, archive, doc, f"words-{n}")
        out["state"] = "pending"
    return JSONResponse(out, headers={"Cache-Control": "no-store"})


def viewer(request: Request, archive: Dms, doc_id: int) -> dict:
    """What the viewer shows for a document: mode pdf (PDF.js), images (page images), html, or none (and why)."""
    doc, d, stored = _doc(archive, doc_id)
    kind = doc.version.kind or ""
    pages = min(max(doc.version.page_count, 1), archive.settings.preview_max_pages)
    view = {"id": doc.id, "kind": kind, "pages": pages, "page_count": doc.version.page_count, "mode": "none",
            "reason": None, "original": f"/documents/{doc.id}/original"}
    if not stored:
        view["reason"] = "the original is no longer stored"
    elif kind == "pdf" and doc.version.status != "failed":
        view["mode"] = "pdf"
    elif kind == "image":
        view["mode"] = "images"
        view["ready"] = [n for n in range(1, pages + 1) if d.page(n).is_file()]
    elif kind in HTML_KINDS:
        if d.html.is_file():
            view["mode"] = "html"
        elif (why := d.failure("html")) is not None:
            view["reason"] = why
        else:
            _ask(request, archive, doc, "html")
            view["mode"], view["reason"] = "pending", "the preview is being made"
    else:
        view["reason"] = "no preview for this kind of file"
    if view["pages"] < doc.version.page_count:
        view["cut"] = f"the viewer shows the first {view['pages']} of {doc.version.page_count} pages " \
                      "(DMS_PREVIEW_MAX_PAGES)"
    return view


@router.get("/documents/{doc_id}/preview.json")
def preview_json(request: Request, doc_id: int, who: Caller = caller()):
    archive = request.app.state.web.dms()
    return JSONResponse(viewer(request, archive, doc_id), headers={"Cache-Control": "no-store"})


@router.get("/documents/{doc_id}/preview.html")
def preview_html(request: Request, doc_id: int, who: Caller = caller()):
    """The HTML render of an office file or e-mail: a sanitised fragment the viewer puts in the page."""
    archive = request.app.state.web.dms()
    doc, d, stored = _doc(archive, doc_id)
    if not stored or not d.html.is_file():
        raise NotFound(f"document {doc_id} has no HTML preview (yet)")
    fragment = sanitise(d.html.read_text(encoding="utf-8"))  # again on the way out: belt and braces
    return Response(fragment, media_type="text/html; charset=utf-8",
                    headers={**CACHED, "Content-Security-Policy": FRAGMENT_CSP})


@router.get("/documents/{doc_id}/view")
def view_page(request: Request, doc_id: int, q: str = "", who: Caller = caller()):
    """The viewer on a page of its own, wide."""
    doc = request.app.state.web.dms().catalog.document(doc_id)
    return render(request, "view.html", doc=doc, q=q)
