"""The catalog's side of OCR work in progress: whether a page still waits, pages left out by a bound
(with their notice), the retry of failed pages, and who brought a document in (named for its OCR)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from dms.auditactions import INGEST, METADATA_EDITED
from dms.catalog.db import Catalog, utcnow
from dms.model import Reference

# A notice that a bound left pages unread starts like this ("pages 4-30 were not OCRed: …", "page 7 was …").
STOPPED = ("pages % were not OCRed:%", "page % was not OCRed:%")


def still_waits(catalog: Catalog, version_id: int, page_no: int) -> bool:
    """Whether the page is still marked 'needed' (not recognised meanwhile by another run, nor replaced)."""
    row = catalog.conn.execute("SELECT ocr FROM pages WHERE version_id = ? AND page_no = ?",
                               (version_id, page_no)).fetchone()
    return row is not None and row[0] == "needed"


def leave_out(catalog: Catalog, version_id: int, page_nos: list[int], reason: str) -> int:
    """Mark pages not read because of a bound as failed, with one warning saying why; returns how many."""
    changed = 0
    for page_no in page_nos:
        changed += catalog.conn.execute(
            "UPDATE pages SET ocr = 'failed' WHERE version_id = ? AND page_no = ? AND ocr = 'needed'",
            (version_id, page_no)).rowcount
    if changed:
        catalog.conn.execute(
            "INSERT INTO problems (version_id, kind, severity, reason, created_at) VALUES (?, 'ocr', 'warning', ?, ?)",
            (version_id, reason, utcnow()))
    return changed


def retry_failed(catalog: Catalog) -> None:
    """Failed pages wait again; the notices of pages left out by a bound go (a bound that cuts again says so anew)."""
    catalog.conn.execute("UPDATE pages SET ocr = 'needed' WHERE ocr = 'failed'")
    catalog.conn.execute(
        f"DELETE FROM problems WHERE kind = 'ocr' AND ({' OR '.join(['reason LIKE ?'] * len(STOPPED))})", STOPPED)


def ingested_by(catalog: Catalog, doc_id: int) -> str | None:
    """Who the audit log names for the latest ingest of the document (the uploader, for an upload)."""
    row = catalog.conn.execute(
        'SELECT "user" FROM audit_log WHERE subject = ? AND action = ? ORDER BY id DESC LIMIT 1',
        (f"doc:{doc_id}", INGEST)).fetchone()
    return row[0] if row else None


def current_document_of(catalog: Catalog, version_id: int) -> tuple[int, str] | None:
    """(id, path) of the document whose current version this is; None once a newer version came in."""
    row = catalog.conn.execute("SELECT id, path FROM documents WHERE current_version_id = ?", (version_id,)).fetchone()
    return (row[0], row[1]) if row else None


# The version fields OCR derives again; only these names are ever written by rederive().
DERIVED_FIELDS = ("doc_type", "doc_date", "date_source", "number", "revision", "products", "parties", "refs",
                  "sources")


def rederive(catalog: Catalog, version_id: int, values: dict, references: Iterable[Reference]) -> None:
    """Write metadata derived again from the OCRed text, replace the version's references, and leave the
    document for the index to refresh."""
    unknown = set(values) - set(DERIVED_FIELDS)
    if unknown:
        raise ValueError(f"not derived fields: {sorted(unknown)}")
    encoded = {k: json.dumps(val) if isinstance(val, list | dict) else val for k, val in values.items()}
    if encoded:
        catalog.conn.execute(f"UPDATE versions SET {', '.join(f'{k} = ?' for k in encoded)} WHERE id = ?",
                             (*encoded.values(), version_id))
    catalog.links_stale_version(version_id)
    catalog.conn.execute("DELETE FROM refs WHERE version_id = ?", (version_id,))
    catalog.conn.executemany(
        'INSERT INTO refs (version_id, family, number, revision, page, "offset", snippet) VALUES (?,?,?,?,?,?,?)',
        [(version_id, r.family, r.number, r.revision, r.page, r.offset, r.snippet) for r in references])
    catalog.conn.execute("UPDATE documents SET indexed_version_id = NULL WHERE current_version_id = ?",
                         (version_id,))


def metadata_edits(catalog: Catalog, doc_id: int) -> Iterator[dict]:
    """The details of every hand correction of a document's metadata, oldest first."""
    for (details,) in catalog.conn.execute(
            "SELECT details FROM audit_log WHERE subject = ? AND action = ? ORDER BY id",
            (f"doc:{doc_id}", METADATA_EDITED)):
        yield json.loads(details)
