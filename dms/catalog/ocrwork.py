"""The catalog's side of OCR work in progress: whether a page still waits, pages left out by a bound
(with their notice), the retry of failed pages, and who brought a document in (named for its OCR)."""

from __future__ import annotations

from dms.catalog.db import Catalog, utcnow

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
        "SELECT user FROM audit_log WHERE subject = ? AND action = 'ingest' ORDER BY id DESC LIMIT 1",
        (f"doc:{doc_id}",)).fetchone()
    return row[0] if row else None
