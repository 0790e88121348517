"""Changing what the archive holds about a document: metadata corrections, retiring, purging.

Every change is refused while a legal hold covers the document (the refusal names the matter)
and recorded in the audit log with what was before and after. Retiring is a soft delete: the
document leaves search and the graph, keeps everything, and can be restored. Purging (admins
only) deletes the stored originals and the extracted text; the catalog keeps a tombstone: the
path, every version's SHA-256 and size, who purged it and when.

Each change checks the document's lifecycle and its holds twice: before its write transaction, for a quick
refusal, and again inside it, where a retire, purge or hold placed meanwhile by another process shows
(BEGIN IMMEDIATE lets one writer in at a time; see dms.holds). A purge also holds the ingest lock.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict

from dms import audit, auditactions, holds
from dms.app import Dms
from dms.catalog import records as sql
from dms.catalog.db import utcnow
from dms.documents import resolve
from dms.errors import Busy, UsageError
from dms.holds import Clearance, holds_on
from dms.locks import ingest_lock
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


def _refusal(action: str, doc_id: int, now: sql.Lifecycle) -> str | None:
    """Why the document's lifecycle forbids `action` (edit, retire, restore, purge), or None."""
    if action == "restore":
        if now.purged_at or not now.retired_at:
            return f"document {doc_id} is {'purged' if now.purged_at else 'not retired'}: nothing to restore"
        return None
    if now.purged_at:
        return {"edit": f"document {doc_id} was purged; only its tombstone is left",
                "retire": f"document {doc_id} is already purged",
                "purge": f"document {doc_id} was purged already"}[action]
    if action == "retire" and now.retired_at:
        return f"document {doc_id} is already retired"
    return None


def _allowed(dms: Dms, doc_id: int, action: str) -> None:
    why = _refusal(action, doc_id, sql.lifecycle(dms.catalog, doc_id))
    if why:
        raise UsageError(why)


_HELD_VERB = {"edit": "edited", "retire": "retired", "purge": "purged"}  # the changes a legal hold forbids


def _checked(dms: Dms, ref: str, action: str) -> tuple[int, Clearance | None]:
    """Before the write transaction: the document's id, refused (UsageError, OnHold) at once if its lifecycle or a
    hold forbids the action, with the hold finding for `_confirmed`."""
    doc_id = resolve(dms, ref).id
    _allowed(dms, doc_id, action)
    verb = _HELD_VERB.get(action)
    return doc_id, (holds.clear(dms, doc_id, verb) if verb else None)


def _confirmed(dms: Dms, doc_id: int, action: str, clearance: Clearance | None):
    """Inside the write transaction: the same checks again (a retire, purge or hold that committed since
    `_checked` is seen now), then the document as it is now."""
    _allowed(dms, doc_id, action)
    if clearance is not None:
        holds.still_clear(dms, clearance, _HELD_VERB[action])
    return dms.catalog.document(doc_id)


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
    from dms.rederive import HAND

    doc_id, clearance = _checked(dms, ref, "edit")
    with dms.catalog.transaction():
        doc = _confirmed(dms, doc_id, "edit", clearance)
        v = doc.version  # as it is now: the current version, its values before the correction
        sources = {**v.sources, **{field: HAND for field in changes if field in _SOURCED}}
        before = {k: getattr(v, EDITABLE[k]) for k in changes}
        before = {k: list(b) if isinstance(b, tuple) else b for k, b in before.items()}
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
    doc_id, clearance = _checked(dms, ref, "retire")
    with dms.catalog.transaction():
        doc = _confirmed(dms, doc_id, "retire", clearance)
        sql.retire(dms.catalog, doc.id, by, reason.strip(), utcnow())
        audit.record(dms.catalog, by, auditactions.RETIRED, f"doc:{doc.id}",
                     {"reason": reason.strip(), "path": doc.path})
    dms.sync_index()
    return {"id": doc.id, "retired": True}


def restore(dms: Dms, ref: str, by: str, reason: str) -> dict:
    acting(dms.catalog, by, "coordinator")
    doc_id, _ = _checked(dms, ref, "restore")
    with dms.catalog.transaction():
        doc = _confirmed(dms, doc_id, "restore", None)
        sql.restore(dms.catalog, doc.id)
        audit.record(dms.catalog, by, auditactions.RESTORED, f"doc:{doc.id}", {"reason": reason.strip()})
    dms.sync_index()
    return {"id": doc.id, "retired": False}


def purge(dms: Dms, ref: str, by: str, reason: str) -> dict:
    """Delete the originals (where no other document holds the same bytes) and the text; keep a tombstone.

    The whole purge holds the archive's ingest lock (dms.locks; taken before the catalog's write lock, in the
    order every writer takes them): an ingest that found these bytes stored already would otherwise record a
    version of them just after the purge deleted them. A purge that waited DMS_LOCK_WAIT seconds for a running
    ingest is refused (Busy) before it changed anything."""
    acting(dms.catalog, by, "admin")
    if not reason.strip():
        raise UsageError("purging a document needs a reason")
    doc_id, clearance = _checked(dms, ref, "purge")
    with ExitStack() as locked:
        try:
            locked.enter_context(ingest_lock(dms.settings))
        except Busy as exc:
            raise Busy(f"document {doc_id} was not purged: its originals are deleted only while no ingest runs, "
                       f"and {exc}") from None
        with dms.catalog.transaction():
            doc = _confirmed(dms, doc_id, "purge", clearance)
            hashes = [{"version": v.seq, "sha256": v.sha256, "size": v.size} for v in dms.catalog.versions(doc_id)]
            sql.purge_rows(dms.catalog, doc_id, by, utcnow())
            audit.record(dms.catalog, by, auditactions.PURGED, f"doc:{doc_id}",
                         {"reason": reason.strip(), "path": doc.path, "versions": hashes})
        deleted = []
        for sha in sorted({h["sha256"] for h in hashes}):
            if not sql.sha_in_use(dms.catalog, sha):  # no ingest can take these bytes up while the lock is held
                dms.store.delete(sha)
                forget_previews(dms.settings.home, sha)  # page images, word boxes, HTML: its content too
                deleted.append(sha)
    dms.sync_index()
    return {"id": doc_id, "purged": True, "versions": hashes, "deleted_blobs": deleted}


def status(dms: Dms, doc_id: int) -> dict:
    now = sql.lifecycle(dms.catalog, doc_id)
    return {**asdict(now), "holds": holds_on(dms, doc_id)} if now else {}
