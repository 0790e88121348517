"""A document whose pages are all read by OCR: its metadata and references are derived again from the
whole text (keeping any field corrected by hand), the OCR is recorded in the audit log, and the document
is left for the index to refresh."""

from __future__ import annotations

from pathlib import PurePath

from dms import audit, auditactions
from dms.app import Dms
from dms.catalog import ocrwork
from dms.ingest.metadata import derive
from dms.ingest.numbers import own_name
from dms.ingest.registry import Raw
from dms.ocr import pages
from dms.rederive import HAND, edited_by_hand


def finish_version(dms: Dms, version_id: int, by: str) -> bool:
    """All pages are in: derive the metadata and references again from the whole text (keeping any field
    corrected by hand), record the OCR in the audit log, and leave the document for the index to refresh."""
    catalog = dms.catalog
    v = catalog.version(version_id)
    row = ocrwork.current_document_of(catalog, version_id)
    if row is None:  # a newer version came in meanwhile: its own extraction and OCR decide its metadata
        return False
    doc_id, path = row
    text = catalog.pages(version_id)
    title = v.title if v.title and v.title not in (own_name(path), PurePath(path.split("#", 1)[-1]).name) else None
    derived = derive(Raw(pages=list(text), title=title, meta=dict(v.meta)), path, dms.rules)
    kept = edited_by_hand(dms, doc_id)
    values = {
        "doc_type": derived.doc_type, "doc_date": derived.doc_date, "date_source": derived.date_source,
        "number": derived.number, "revision": derived.revision, "products": list(derived.products),
        "parties": list(derived.parties), "refs": list(derived.refs),
        "sources": _sources(derived.sources, kept),
    }
    ocrwork.rederive(catalog, version_id, {k: val for k, val in values.items() if k not in kept},
                     derived.references)
    summary = pages.summary(catalog, version_id) or {}
    audit.record(catalog, by, auditactions.OCR, f"doc:{doc_id}", {
        "version": v.seq, "sha256": v.sha256, "pages": summary.get("ocr_pages", []),
        "failed": summary.get("failed", []), "confidence": summary.get("confidence"),
        "languages": dms.settings.ocr_languages,
    })
    return True


# a version column -> its key in `sources` (dms.ingest.provenance)
_SOURCE_KEYS = {"doc_type": "type", "doc_date": "date", "number": "number", "revision": "revision",
                "products": "products", "parties": "parties"}


def _sources(derived: dict, kept: set[str]) -> dict:
    """The provenance derived now, but "hand" for the fields corrected by hand (their values are kept)."""
    hand = {_SOURCE_KEYS[k] for k in kept if k in _SOURCE_KEYS}
    return {**{k: val for k, val in derived.items() if k not in hand}, **{k: dict(HAND) for k in hand}}
