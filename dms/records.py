"""Changing what the archive holds about a document: metadata corrections, retiring, purging.

Every change is refused while a legal hold covers the document (the refusal names the matter)
and recorded in the audit log with what was before and after. Retiring is a soft delete: the
document leaves search and the graph, keeps everything, and can be restored. Purging (admins
only) deletes the stored originals and the extracted text; the catalog keeps a tombstone: the
path, every version's SHA-256 and size, who purged it and when.
"""

from __future__ import annotations

from dataclasses import asdict

from dms import audit, auditactions
from dms.app import Dms
from dms.catalog import records as sql
from dms.catalog.db import utcnow
from dms.documents import resolve
from dms.errors import OnHold, UsageError
from dms.holds import holds_on
from dms.preview.cache import forget as forget_previews
from dms.users import acting

_SOURCED = ("type", "date", "number", "revision", "products", "parties")  # fields with a provenance entry
EDITABLE = {"title": "title", "type": "doc_type", "date": "doc_date", "number": "number", "revision": "revision",
            "products": "products", "parties": "parties"}


def subject_for(dms: Dms, ref: str) -> str:
    """The audit subject a person means: a change request, matter:NAME, user:NAME, or a document."""
    text = ref.strip()
    if text.split(":", 1)[0] in ("matter", "user", "link", "change_request", "doc"):
        return text
    m = dms.matcher.fullmatch(text)
    if m and dms.rules.is_change(m.family) and m.revision is None:
        return f"change_request:{m.number}"
    return f"doc:{resolve(dms, text).id}"


def _not_held(dms: Dms, doc_id: int, what: str) -> None:
    matters = holds_on(dms, doc_id)
    if matters:
        raise OnHold(f"document {doc_id} is under legal hold ({', '.join(matters)}): it cannot be {what}; "
                     "the hold must be released first")


def _live(dms: Dms, ref: str):
    doc = resolve(dms, ref)
    now = sql.lifecycle(dms.catalog, doc.id)
    return doc, now.retired_at, now.purged_at


def edit(dms: Dms, ref: str, by: str, reason: str, **fields) -> dict:
    """Correct a document's metadata (title, type, date, number, revision, products, parties)."""
    acting(dms.catalog, by, "coordinator")
    if not reason.strip():
        raise UsageError("a metadata correction needs a reason")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise UsageError(f"unknown field(s) {', '.join(sorted(unknown))}; fields are: {', '.join(EDITABLE)}")
    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        raise UsageError("give at least one field to change")
    if "date" in changes and changes["date"]:
        from datetime import date

        try:
            date.fromisoformat(changes["date"])
        except ValueError:
            raise UsageError(f"dates are written YYYY-MM-DD, not {changes['date']!r}") from None
    if changes.get("revision"):
        from dms.revisions import normalize_revision

        changes["revision"] = normalize_revision(changes["revision"])  # one form in the catalog: 03 is 3
    doc, retired, purged = _live(dms, ref)
    if purged:
        raise UsageError(f"document {doc.id} was purged; only its tombstone is left")
    _not_held(dms, doc.id, "edited")
    v = doc.version
    from dms.rederive import HAND

    sources = {**v.sources, **{field: HAND for field in changes if field in _SOURCED}}
    before = {k: getattr(v, EDITABLE[k]) for k in changes}
    before = {k: list(b) if isinstance(b, tuple) else b for k, b in before.items()}
    with dms.catalog.transaction():
        sql.update_version_fields(dms.catalog, v.id, {EDITABLE[k]: val for k, val in changes.items()} | {
            "sources": sources})
        sql.unindex(dms.catalog, doc.id)
        audit.record(dms.catalog, by, auditactions.METADATA_EDITED, f"doc:{doc.id}",
                     {"reason": reason.strip(), "before": before, "after": changes, "version": v.seq})
    dms.sync_index()
    _learn_from(dms, changes)
    return {"id": doc.id, "before": before, "after": changes}


def _learn_from(dms: Dms, changes: dict) -> None:
    """The classifier learns from corrections of type, products and parties (dms.learn). The correction is
    committed already: a failure to learn is logged and listed as a problem, never raised."""
    if not {"type", "products", "parties"} & set(changes):
        return
    try:
        from dms.learn import after_correction

        after_correction(dms, changes)
    except Exception:
        import logging

        logging.getLogger("dms.learn").exception("learning from the correction of %s failed", sorted(changes))


def retire(dms: Dms, ref: str, by: str, reason: str) -> dict:
    acting(dms.catalog, by, "coordinator")
    if not reason.strip():
        raise UsageError("retiring a document needs a reason")
    doc, retired, purged = _live(dms, ref)
    if retired or purged:
        raise UsageError(f"document {doc.id} is already {'purged' if purged else 'retired'}")
    _not_held(dms, doc.id, "retired")
    with dms.catalog.transaction():
        sql.retire(dms.catalog, doc.id, by, reason.strip(), utcnow())
        audit.record(dms.catalog, by, auditactions.RETIRED, f"doc:{doc.id}",
                     {"reason": reason.strip(), "path": doc.path})
    dms.sync_index()
    return {"id": doc.id, "retired": True}


def restore(dms: Dms, ref: str, by: str, reason: str) -> dict:
    acting(dms.catalog, by, "coordinator")
    doc, retired, purged = _live(dms, ref)
    if purged or not retired:
        raise UsageError(f"document {doc.id} is {'purged' if purged else 'not retired'}: nothing to restore")
    with dms.catalog.transaction():
        sql.restore(dms.catalog, doc.id)
        audit.record(dms.catalog, by, auditactions.RESTORED, f"doc:{doc.id}", {"reason": reason.strip()})
    dms.sync_index()
    return {"id": doc.id, "retired": False}


def purge(dms: Dms, ref: str, by: str, reason: str) -> dict:
    """Delete the originals (where no other document holds the same bytes) and the text; keep a tombstone."""
    acting(dms.catalog, by, "admin")
    if not reason.strip():
        raise UsageError("purging a document needs a reason")
    doc, retired, purged = _live(dms, ref)
    if purged:
        raise UsageError(f"document {doc.id} was purged already")
    _not_held(dms, doc.id, "purged")
    versions = dms.catalog.versions(doc.id)
    hashes = [{"version": v.seq, "sha256": v.sha256, "size": v.size} for v in versions]
    with dms.catalog.transaction():
        sql.purge_rows(dms.catalog, doc.id, by, utcnow())
        audit.record(dms.catalog, by, auditactions.PURGED, f"doc:{doc.id}",
                     {"reason": reason.strip(), "path": doc.path, "versions": hashes})
    deleted = []
    for sha in {h["sha256"] for h in hashes}:
        if not sql.sha_in_use(dms.catalog, sha):
            dms.store.delete(sha)
            forget_previews(dms.settings.home, sha)  # page images, word boxes, HTML: its content too
            deleted.append(sha)
    dms.sync_index()
    return {"id": doc.id, "purged": True, "versions": hashes, "deleted_blobs": sorted(deleted)}


def status(dms: Dms, doc_id: int) -> dict:
    now = sql.lifecycle(dms.catalog, doc_id)
    return {**asdict(now), "holds": holds_on(dms, doc_id)} if now else {}
