"""Finding one document by whatever reference a person has, and showing it."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from dms.catalog import DocumentRow
from dms.catalog.parties import canonical as canonical_parties
from dms.display import shown, to_text
from dms.errors import NotFound, UsageError
from dms.revisions import normalize_revision, revision_key

if TYPE_CHECKING:
    from dms.app import Dms  # for type hints only: dms.app never waits on this module

_SURROGATE = re.compile("[\ud800-\udfff]")


def resolve(dms: Dms, ref: str) -> DocumentRow:
    """REF is a document id, a source path, an identifier (SPEC-KX200-03 Rev B) or a SHA-256 prefix."""
    ref = ref.strip()
    if not ref:
        raise UsageError("give a document id, path, identifier or SHA-256")
    if ref.isdigit():
        return dms.catalog.document(int(ref))
    # an argument with bytes that are not UTF-8 arrives with surrogate escapes: the catalog holds paths as
    # `to_text` gives them, and SQLite cannot take a lone surrogate
    full = os.path.abspath(os.path.expanduser(ref))
    candidates = [p for p in (ref, full, to_text(ref), to_text(full)) if not _SURROGATE.search(p)]
    for path in dict.fromkeys(candidates):
        at_path = dms.catalog.document_at_path(path)
        if at_path:
            return at_path
    m = dms.matcher.fullmatch(ref)
    if m:
        found = dms.catalog.same_number(m.number)
        if m.revision:
            # a catalog derived before revisions were normalised may still hold `03` for 3
            found = [d for d in found if normalize_revision(d.version.revision) == m.revision]
        if found:
            # the latest revision, then the latest dated
            return max(found, key=_chain_order)
        raise NotFound(f"no document has the number {m.number}" + (f" Rev {m.revision}" if m.revision else ""))
    if re.fullmatch(r"[0-9a-fA-F]{8,64}", ref):
        found = dms.catalog.documents_with_sha_prefix(ref)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UsageError(f"SHA-256 prefix {ref} matches {len(found)} documents; give more characters")
    if _SURROGATE.search(ref):
        raise NotFound(f"no document has the path {shown(ref)}")
    raise NotFound(f"no document matches {ref!r} (try an id, a path, an identifier like CR-2023-014, or a SHA-256)")


def _chain_order(doc: DocumentRow) -> tuple:
    """Revisions of one number in order (dms.revisions), then by date, then as catalogued."""
    return revision_key(doc.version.revision), doc.version.doc_date or "", doc.id


def resolve_as_of(dms: Dms, ref: str, day: str) -> DocumentRow:
    """The document REF meant on that day: a number without revision gives the revision then in force."""
    from dms.asof import in_force, known_on

    m = dms.matcher.fullmatch(ref.strip())
    if m and m.revision is None:
        doc = in_force(dms, m.number, day)
        if doc is None:
            raise NotFound(f"no document numbered {m.number} was in the archive on {day}")
        return doc
    doc = resolve(dms, ref)
    if doc.id not in known_on(dms, day):
        raise NotFound(f"document {doc.id} ({doc.version.title or doc.name}) was not in force on {day}")
    return doc


def show(dms: Dms, ref: str, as_of: str | None = None, text: bool = True) -> dict:
    """A document's metadata, and with `text` its whole extracted text (pages joined by form feeds); the web
    shows the text a slice at a time instead (dms.textview)."""
    from dms.ocr.pages import summary as ocr_summary

    doc = resolve_as_of(dms, ref, as_of) if as_of else resolve(dms, ref)
    v = doc.version
    versions = dms.catalog.versions(doc.id)
    problems = dms.catalog.problems(doc_id=doc.id)
    return {
        "id": doc.id,
        "title": v.title or doc.name,
        "path": doc.path,
        "sha256": v.sha256,
        "stored_path": str(dms.store.path_for(v.sha256)),
        "size": v.size,
        "type": v.doc_type,
        "date": v.doc_date,
        "date_source": v.date_source,
        "sources": v.sources,  # field -> where its value came from (see `dms explain`)
        "number": v.number,
        "revision": v.revision,
        "products": list(v.products),
        "parties": list(canonical_parties(dms.catalog, v.parties)),  # as renamed and merged (dms.parties)
        "references": list(v.refs),
        "citations": [
            {"identifier": f"{r.number} Rev {r.revision}" if r.revision else r.number, "family": r.family,
             "page": r.page, "offset": r.offset, "snippet": r.snippet}
            for r in dms.catalog.references(v.id)
        ],
        "status": v.status,
        "format": v.kind,
        "metadata": v.meta,
        "duplicate_of": doc.duplicate_of,
        "duplicates": dms.catalog.duplicates_of(doc.id),
        "attachment_of": doc.parent_id,
        "attachments": [{"id": i, "name": n} for i, n in dms.catalog.attachments_of(doc.id)],
        "versions": [
            {"version": x.seq, "sha256": x.sha256, "size": x.size, "ingested_at": x.ingested_at, "status": x.status}
            for x in versions
        ],
        "problems": [{"kind": p["kind"], "severity": p["severity"], "reason": p["reason"]} for p in problems],
        "pages": v.page_count,
        "ocr": ocr_summary(dms.catalog, v.id),
        "text": "\f".join(dms.catalog.pages(v.id)) if text else None,
    }


def revisions(dms: Dms, ref: str) -> list[dict]:
    """The revision chain of a document's number, oldest first (empty when it has no number)."""
    doc = resolve(dms, ref)
    if not doc.version.number:
        return []
    chain = sorted(dms.catalog.same_number(doc.version.number), key=_chain_order)
    return [{"id": d.id, "number": d.version.number, "revision": d.version.revision, "date": d.version.doc_date,
             "title": d.version.title or d.name, "this": d.id == doc.id} for d in chain]
