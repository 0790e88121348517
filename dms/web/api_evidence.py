"""The evidence part of the JSON API: audit log, legal holds, corrections, retire/purge, bundles, retrospectives."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from dms import audit, holds, records
from dms.web.pages_evidence import bundle_response
from dms.web.security import Caller, caller

router = APIRouter(tags=["evidence"])


def _archive(request: Request):
    return request.app.state.web.dms()


@router.get("/audit/verify", summary="Re-check the audit log's hash chain, head and signature; names what is bad")
def audit_verify(request: Request, who: Caller = caller()):
    return audit.verify(_archive(request).catalog)


@router.get("/audit/head", summary="The signed audit head, for custodians to keep outside the archive")
def audit_head(request: Request, who: Caller = caller()):
    return audit.head_statement(_archive(request).catalog)


@router.get("/audit/{ref}", summary="The audit history of a document, change request, matter:NAME or user:NAME")
def audit_show(request: Request, ref: str, who: Caller = caller()):
    archive = _archive(request)
    subject = records.subject_for(archive, ref)
    return {"subject": subject, "entries": audit.history(archive.catalog, subject)}


class NewHold(BaseModel):
    name: str
    description: str = ""
    custodian_notes: str = ""
    query: str | None = None
    trace: str | None = None
    documents: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    changes: list[str] = Field(default_factory=list)


@router.get("/holds", summary="Legal-hold matters, active and released")
def hold_list(request: Request, who: Caller = caller()):
    return {"matters": holds.listing(_archive(request))}


@router.post("/holds", summary="Place a legal hold (coordinator)", status_code=201)
def hold_place(request: Request, body: NewHold, who: Caller = caller(holds.PLACE_ROLE)):
    archive = _archive(request)
    matter = holds.place(archive, body.name, who.name, body.description, body.custodian_notes, body.query,
                         body.trace, body.documents, body.products, body.changes)
    return {**matter, "documents": holds.documents(archive, body.name)}


@router.get("/holds/{name}", summary="A matter with the ids of the documents it holds now")
def hold_show(request: Request, name: str, who: Caller = caller()):
    archive = _archive(request)
    return {**holds.get(archive, name), "documents": holds.documents(archive, name)}


class Reason(BaseModel):
    reason: str


@router.post("/holds/{name}/release", summary="Release a legal hold (manager)")
def hold_release(request: Request, name: str, body: Reason, who: Caller = caller(holds.RELEASE_ROLE)):
    return holds.release(_archive(request), name, who.name, body.reason)


class Correction(BaseModel):
    reason: str
    title: str | None = None
    type: str | None = None
    date: str | None = None
    number: str | None = None
    revision: str | None = None
    products: list[str] | None = None
    parties: list[str] | None = None


@router.patch("/documents/{ref}", summary="Correct a document's metadata (coordinator; refused under hold)")
def document_edit(request: Request, ref: str, body: Correction, who: Caller = caller("coordinator")):
    fields = body.model_dump(exclude_none=True)
    reason = fields.pop("reason")
    return request.app.state.web.write(records.edit, ref, who.name, reason, **fields)


@router.post("/documents/{ref}/retire", summary="Retire a document (coordinator; refused under hold)")
def document_retire(request: Request, ref: str, body: Reason, who: Caller = caller("coordinator")):
    return request.app.state.web.write(records.retire, ref, who.name, body.reason)


@router.post("/documents/{ref}/restore", summary="Restore a retired document (coordinator)")
def document_restore(request: Request, ref: str, body: Reason, who: Caller = caller("coordinator")):
    return request.app.state.web.write(records.restore, ref, who.name, body.reason)


@router.post("/documents/{ref}/purge", summary="Purge a document, leaving a tombstone (admin; refused under hold)")
def document_purge(request: Request, ref: str, body: Reason, who: Caller = caller("admin")):
    return request.app.state.web.write(records.purge, ref, who.name, body.reason)


class BundleRequest(BaseModel):
    query: str | None = None
    trace: str | None = None
    matter: str | None = None
    as_of: str | None = None


@router.post("/bundles", summary="A dispute bundle (zip) from a query, a trace or a matter (coordinator)")
def bundle(request: Request, body: BundleRequest, who: Caller = caller("coordinator")):
    return bundle_response(_archive(request), who, body.query or "", body.trace or "", body.matter or "",
                           body.as_of or "")


@router.get("/retro/{product}", summary="A product's retrospective as data (the charts are on the product page)")
def retro(request: Request, product: str, who: Caller = caller()):
    from dms.retro import retro_data

    data = retro_data(_archive(request), product)
    return {k: v for k, v in data.items() if k != "charts"}
