"""The JSON API under /api/v1: the same library calls as the CLI's `--json` output, the same shapes.

Scripts sign in with `Authorization: Bearer <token>` (`dms user token create`, or the account page).
Errors answer `{"error": {"type", "status", "message"}}` with the status of their class.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from dms import changes
from dms.changes.rules import STEPS
from dms.changes.views import catalogue, describe, with_actions
from dms.documents import resolve, revisions, show
from dms.graph import graph_for, links, node_for, trace
from dms.graph.explore import paths, timeline
from dms.graph.manual import add_link, remove_link
from dms.search import search as search_archive
from dms.textview import view as text_view
from dms.web import uploads
from dms.web.graphview import elements
from dms.web.pages_docs import original
from dms.web.pages_graph import bounded
from dms.web.security import Caller, caller

router = APIRouter(tags=["dms"])


def _archive(request: Request):
    return request.app.state.web.dms()


@router.get("/health", summary="Up and able to read the catalog (no sign-in needed)")
def health(request: Request):
    _archive(request).catalog.ping()
    return {"ok": True}


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, who: Caller = caller()):
    return request.app.openapi()


@router.get("/me", summary="Who the token or session belongs to")
def me(who: Caller = caller()):
    return {"name": who.name, "role": who.user.role}


@router.get("/search", summary="Search (the query language of `dms search --help`)")
def search(request: Request, q: str, sort: Literal["relevance", "newest", "oldest"] = "relevance", page: int = 1,
           limit: int = 10, as_of: str | None = None, strict: bool = False, who: Caller = caller()):
    """A typing slip (an unclosed quote, a stray bracket, a trailing "?") is searched as words and `notice` says so;
    `strict=true` refuses it instead, as a script that builds queries may prefer."""
    return search_archive(_archive(request), q, sort=sort, page=page, limit=limit, as_of=as_of,
                          forgiving=not strict).to_dict()


@router.get("/documents/{ref}", summary="A document's metadata (ref: id, path, identifier or SHA-256 prefix)")
def document(request: Request, ref: str, as_of: str | None = None, who: Caller = caller()):
    data = show(_archive(request), ref, as_of=as_of, text=False)
    data.pop("text")
    data.pop("stored_path")
    return {**data, "revisions": revisions(_archive(request), str(data["id"]))}


@router.get("/documents/{ref}/text", summary="A document's extracted text, page by page, a bounded view at a time: "
            "from `page` and `offset` (characters into it), at most `limit` characters (DMS_PAGE_TEXT_MAX_CHARS); "
            "`next` says where the following view starts")
def document_text(request: Request, ref: str, page: int = 1, offset: int = 0, limit: int | None = None,
                  who: Caller = caller()):
    archive = _archive(request)
    doc = resolve(archive, ref)
    return {"id": doc.id, **text_view(archive, doc.version.id, page, offset, limit).to_dict()}


@router.get("/documents/{ref}/original", summary="The stored original, byte for byte (header X-Content-SHA256)")
def document_original(request: Request, ref: str, version: int | None = None, who: Caller = caller()):
    archive = _archive(request)
    return original(archive, resolve(archive, ref).id, version)


@router.post("/documents", summary="Upload files; they are ingested like `dms ingest` (coordinator)")
async def upload(request: Request, files: list[UploadFile] = File(...), who: Caller = caller("coordinator")):
    state = request.app.state.web
    written = await uploads.save(state, files, who.name)
    return await run_in_threadpool(uploads.ingest_saved, state, written, who.name)


@router.get("/problems", summary="Files that could not be read (fully), with the reason")
def problems(request: Request, all: bool = False, who: Caller = caller()):
    rows = _archive(request).catalog.problems(include_old=all)
    return {"total": len(rows), "problems": rows}


# -- graph ------------------------------------------------------------------------------------


@router.get("/links/{ref}", summary="Incoming and outgoing links of a document or identifier, with evidence")
def links_of(request: Request, ref: str, who: Caller = caller()):
    archive = _archive(request)
    g = graph_for(archive)
    return links(g, node_for(archive, g, ref))


class NewLink(BaseModel):
    source: str = Field(description="id, identifier, product, party or doc:N")
    target: str
    type: str
    reason: str


@router.post("/links", summary="Add a link by hand, with a reason (coordinator)", status_code=201)
def link_add(request: Request, body: NewLink, who: Caller = caller("coordinator")):
    archive = _archive(request)
    g = graph_for(archive)
    source, target = node_for(archive, g, body.source), node_for(archive, g, body.target)
    link_id = add_link(archive, source, target, body.type, body.reason, by=who.name)
    return {"id": link_id, "from": source, "to": target, "type": body.type, "by": who.name}


@router.delete("/links/{link_id}", summary="Remove a link made by hand; it stays on record (coordinator)")
def link_remove(request: Request, link_id: int, reason: str, who: Caller = caller("coordinator")):
    remove_link(_archive(request), link_id, reason, by=who.name)
    return {"id": link_id, "removed_by": who.name}


@router.get("/trace/{ref}", summary="Every document tied to ref, with the chain of links that ties each")
def trace_of(request: Request, ref: str, depth: int = 2, limit: int = 50, page: int = 1, as_of: str | None = None,
             who: Caller = caller()):
    from dms.asof import trace_as_of

    archive = _archive(request)
    g = graph_for(archive)
    root, depth, limit = node_for(archive, g, ref), bounded("depth", depth, 1, 4), bounded("limit", limit, 1, 500)
    offset = (max(page, 1) - 1) * limit
    found = trace_as_of(archive, g, root, as_of, depth, limit, offset) if as_of else trace(
        g, root, depth=depth, limit=limit, offset=offset)
    return found.to_dict()


@router.get("/path", summary="The shortest explained chains of links between a and b")
def path(request: Request, a: str, b: str, who: Caller = caller()):
    archive = _archive(request)
    g = graph_for(archive)
    return paths(g, node_for(archive, g, a), node_for(archive, g, b))


@router.get("/timeline/{ref}", summary="Dated documents of a product, change request, party or document")
def timeline_of(request: Request, ref: str, who: Caller = caller()):
    archive = _archive(request)
    g = graph_for(archive)
    return timeline(g, node_for(archive, g, ref))


@router.get("/graph/{ref}", summary="The neighbourhood of ref as Cytoscape elements")
def graph_around(request: Request, ref: str, radius: int = 1, who: Caller = caller()):
    archive = _archive(request)
    g = graph_for(archive)
    return elements(g, node_for(archive, g, ref), radius=bounded("radius", radius, 1, 3))


# -- change requests --------------------------------------------------------------------------


@router.get("/changes", summary="Change requests, filtered")
def change_list(request: Request, state: str | None = None, product: str | None = None, applicant: str | None = None,
                since: str | None = None, until: str | None = None, archive: bool = False, who: Caller = caller()):
    rows = [with_actions(r, who.user) for r in catalogue(_archive(request), state, product, applicant, since, until,
                                                         archive)]
    return {"total": len(rows), "changes": rows}


class ChangeFields(BaseModel):
    title: str | None = None
    products: list[str] | None = None
    affected: list[str] | None = None
    description: str | None = None
    reason: str | None = None
    need_date: str | None = None
    relevance: str | None = None
    risks: list[str | dict] | None = None
    benefits: str | None = None
    cost_once: float | None = None
    cost_recurring: float | None = None
    schedule_impact: str | None = None
    attachments: list[str | int] | None = None


class NewChange(ChangeFields):
    title: str


class Transition(BaseModel):
    action: str = Field(description=", ".join(STEPS))
    note: str = ""
    revision: int | None = Field(None, description="refuse if the request changed since this revision")
    outcome: str | None = Field(None, description="decide: approved, rejected or deferred")
    rationale: str | None = None
    effective_date: str | None = None
    waivers: dict[str, str] | None = Field(None, description="close: {document number: reason}")
    assessment: ChangeFields | None = Field(None, description="assess: the assessment fields")


@router.post("/changes", summary="Open a change request in draft; the caller is its applicant", status_code=201)
def change_new(request: Request, body: NewChange, who: Caller = caller()):
    fields = body.model_dump(exclude_none=True)
    title = fields.pop("title")
    return with_actions(request.app.state.web.write(changes.create, title, who.name, **fields).to_dict(), who.user)


@router.get("/changes/{number}", summary="A request with history and amendments, or as on file in the archive; "
                                        "allowed_actions: what the caller may do on it now")
def change_show(request: Request, number: str, who: Caller = caller()):
    return with_actions(describe(_archive(request), number), who.user)


@router.patch("/changes/{number}", summary="Edit a request's fields (until it is assessed)")
def change_edit(request: Request, number: str, body: ChangeFields, revision: int | None = None,
                who: Caller = caller()):
    fields = body.model_dump(exclude_none=True)
    return with_actions(request.app.state.web.write(changes.edit, number, who.name, revision, **fields).to_dict(),
                        who.user)


@router.post("/changes/{number}/transitions", summary="submit, review, assess, decide, authorize, implement, close")
def change_transition(request: Request, number: str, body: Transition, who: Caller = caller()):
    params = {}
    if body.action == "assess" and body.assessment:
        params = body.assessment.model_dump(exclude_none=True)
    elif body.action == "decide":
        params = {"outcome": body.outcome, "rationale": body.rationale or ""}
    elif body.action == "authorize":
        params = {"effective_date": body.effective_date}
    elif body.action == "close":
        params = {"waivers": {k.upper(): v for k, v in (body.waivers or {}).items()}}
    done = request.app.state.web.write(changes.transition, number, body.action, who.name, body.note, body.revision,
                                       **params)
    return with_actions(done.to_dict(), who.user)


@router.get("/changes/{number}/check", summary="Amendment status of each affected document")
def change_check(request: Request, number: str, who: Caller = caller()):
    return {"number": number.upper(), "documents": changes.check(_archive(request), number)}
