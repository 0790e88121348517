"""A document's page, its original for download, and links made by hand."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse

from dms import audit, records
from dms.app import Dms
from dms.documents import revisions, show
from dms.errors import NotFound
from dms.graph import graph_for, links, node_for
from dms.graph.build import doc_node
from dms.graph.manual import TYPES, add_link, remove_link
from dms.index import highlight_pages, hit_keys
from dms.textview import hit_pages
from dms.textview import view as text_view
from dms.web.graphview import elements
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


def document_view(request: Request, archive: Dms, doc_id: int, query: str = "", page: int = 1,
                  offset: int = 0) -> dict:
    """Everything the document page shows (the API gives the same pieces separately); of the text, one view
    from `page` and `offset` (DMS_PAGE_TEXT_MAX_CHARS), its hits marked."""
    data = show(archive, str(doc_id), text=False)
    g = graph_for(archive)
    node = doc_node(data["id"])
    version_id = archive.catalog.document(data["id"]).version.id
    text = text_view(archive, version_id, page, offset)
    marked = highlight_pages(archive.matcher, tuple(s.text for s in text.slices), query)
    return {
        "doc": data,
        "text": text,
        "pages": [(s, html, hits) for s, (html, hits) in zip(text.slices, marked)],
        "hit_pages": hit_pages(archive, version_id, hit_keys(archive.matcher, query)) if query.strip() else [],
        "hit_count": sum(hits for _, hits in marked),
        "ocr_by_page": {p["page"]: p for p in (data["ocr"] or {}).get("pages", [])},
        "revisions": revisions(archive, str(doc_id)),
        "links": links(g, node) if node in g else None,
        "graph": elements(g, node, radius=1) if node in g else None,
        "record": records.status(archive, data["id"]),
        "history": audit.history(archive.catalog, node),
    }


def original(archive: Dms, doc_id: int, version: int | None = None) -> FileResponse:
    """The stored original, byte for byte, as a download named as it was ingested."""
    doc = archive.catalog.document(doc_id)
    chosen = doc.version
    if version is not None:
        matching = [v for v in archive.catalog.versions(doc_id) if v.seq == version]
        if not matching:
            raise NotFound(f"document {doc_id} has no version {version}")
        chosen = matching[0]
    path = archive.store.path_for(chosen.sha256)
    if not path.is_file():
        raise NotFound(f"the original of document {doc_id} is missing from the store; run `dms verify`")
    media = mimetypes.guess_type(doc.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=doc.name, content_disposition_type="attachment",
                        headers={"X-Content-SHA256": chosen.sha256, "Cache-Control": "private, no-store"})


@router.get("/documents/{doc_id}")
def document_page(request: Request, doc_id: int, q: str = "", page: int = 1, offset: int = 0, who: Caller = caller()):
    view = document_view(request, request.app.state.web.dms(), doc_id, q, page, offset)
    return render(request, "document.html", q=q, link_types=TYPES, **view)


@router.get("/documents/{doc_id}/original")
def download(request: Request, doc_id: int, version: int | None = None, who: Caller = caller()):
    return original(request.app.state.web.dms(), doc_id, version)


@router.post("/documents/{doc_id}/links")
def link_add(request: Request, doc_id: int, target: str = Form(""), type: str = Form(""), reason: str = Form(""),
             direction: str = Form("out"), who: Caller = caller("coordinator")):
    archive = request.app.state.web.dms()
    g = graph_for(archive)
    here, there = doc_node(archive.catalog.document(doc_id).id), node_for(archive, g, target)
    source, dest = (here, there) if direction == "out" else (there, here)
    add_link(archive, source, dest, type, reason, by=who.name)
    return RedirectResponse(f"/documents/{doc_id}#links", status_code=303)


@router.post("/links/{link_id}/remove")
def link_remove(request: Request, link_id: int, reason: str = Form(""), back: str = Form("/"),
                who: Caller = caller("coordinator")):
    remove_link(request.app.state.web.dms(), link_id, reason, by=who.name)
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/", status_code=303)
