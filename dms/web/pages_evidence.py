"""Evidence in the browser: legal holds, dispute bundles, document corrections, retire/purge, retrospectives."""

from __future__ import annotations

import os
import tempfile

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.background import BackgroundTask

from dms import bundles, holds, records
from dms.web.pages_changes import REPORT_CSP
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace(",", "\n").splitlines() if x.strip()]


def bundle_response(archive, who: Caller, query: str = "", trace: str = "", matter: str = "", as_of: str = "",
                    documents=()):
    """Make a bundle in a temporary file and send it as a download; the file goes once sent."""
    fd, tmp = tempfile.mkstemp(suffix=".zip")
    os.close(fd)
    try:
        result = bundles.create(archive, tmp, who.name, query or None, trace or None, matter or None, as_of or None,
                                documents=documents)
    except BaseException:
        os.unlink(tmp)
        raise
    name = f"bundle-{result['first']}-{result['last']}.zip"
    return FileResponse(tmp, media_type="application/zip", filename=name, content_disposition_type="attachment",
                        headers={"X-Content-SHA256": result["sha256"]}, background=BackgroundTask(os.unlink, tmp))


@router.post("/bundles")
def make_bundle(request: Request, query: str = Form(""), trace: str = Form(""), matter: str = Form(""),
                as_of: str = Form(""), who: Caller = caller("coordinator")):
    return bundle_response(request.app.state.web.dms(), who, query, trace, matter, as_of)


@router.get("/holds")
def holds_page(request: Request, who: Caller = caller()):
    archive = request.app.state.web.dms()
    matters = [{**m, "count": len(holds.documents(archive, m["name"])) if not m["released_at"] else None}
               for m in holds.listing(archive)]
    return render(request, "holds.html", matters=matters)


@router.post("/holds")
def place_hold(request: Request, name: str = Form(""), description: str = Form(""), custodian_notes: str = Form(""),
               query: str = Form(""), trace: str = Form(""), documents: str = Form(""), products: str = Form(""),
               changes: str = Form(""), who: Caller = caller(holds.PLACE_ROLE)):
    archive = request.app.state.web.dms()
    matter = holds.place(archive, name, who.name, description, custodian_notes, query or None, trace or None,
                         _lines(documents), _lines(products), _lines(changes))
    return RedirectResponse(f"/holds/{matter['id']}", status_code=303)


def _matter(archive, matter_id: int) -> dict:
    from dms.errors import NotFound

    found = [m for m in holds.listing(archive) if m["id"] == matter_id]
    if not found:
        raise NotFound(f"there is no matter {matter_id}")
    return found[0]


@router.get("/holds/{matter_id}")
def hold_page(request: Request, matter_id: int, who: Caller = caller()):
    from dms import audit

    archive = request.app.state.web.dms()
    matter = _matter(archive, matter_id)
    docs = [archive.catalog.document(i) for i in holds.documents(archive, matter["name"])]
    return render(request, "hold.html", matter=matter, documents=docs,
                  history=audit.history(archive.catalog, f"matter:{matter['name']}"))


@router.post("/holds/{matter_id}/release")
def release_hold(request: Request, matter_id: int, reason: str = Form(""), who: Caller = caller(holds.RELEASE_ROLE)):
    archive = request.app.state.web.dms()
    holds.release(archive, _matter(archive, matter_id)["name"], who.name, reason)
    return RedirectResponse(f"/holds/{matter_id}", status_code=303)


@router.post("/documents/{doc_id}/edit")
def edit_document(request: Request, doc_id: int, reason: str = Form(""), title: str = Form(""),
                  type: str = Form(""), date: str = Form(""), number: str = Form(""), revision: str = Form(""),
                  products: str = Form(""), parties: str = Form(""), who: Caller = caller("coordinator")):
    state = request.app.state.web
    fields = {"title": title, "type": type, "date": date, "number": number, "revision": revision}
    fields = {k: v.strip() for k, v in fields.items() if v.strip()}
    if products.strip():
        fields["products"] = [p.upper() for p in _lines(products)]
    if parties.strip():
        fields["parties"] = _lines(parties)
    state.write(records.edit, str(doc_id), who.name, reason, **fields)
    return RedirectResponse(f"/documents/{doc_id}", status_code=303)


@router.post("/documents/{doc_id}/{action}")
def record_action(request: Request, doc_id: int, action: str, reason: str = Form(""), who: Caller = caller()):
    from dms.errors import NotFound

    if action not in ("retire", "restore", "purge"):
        raise NotFound("there is no such page")
    request.app.state.web.write(getattr(records, action), str(doc_id), who.name, reason)
    return RedirectResponse(f"/documents/{doc_id}", status_code=303)


@router.get("/products/{code}/retro")
def retro_report(request: Request, code: str, who: Caller = caller()):
    from dms.retro import render as render_retro

    html, _ = render_retro(request.app.state.web.dms(), code)
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})
