"""The SQL of OCR'd pages: which pages of current documents wait for OCR, a page's text written back or its
failure noted, and each page's source and OCR state (dms.ocr.pages holds the rules over these)."""

from __future__ import annotations

from dataclasses import dataclass

from dms.catalog.db import Catalog, utcnow

LIVE_DOC = "d.retired_at IS NULL AND d.purged_at IS NULL"


@dataclass(frozen=True, slots=True)
class Waiting:
    """A page waiting for OCR, of the current version of a live document."""

    version_id: int
    doc_id: int
    sha256: str
    kind: str
    page_no: int


@dataclass(frozen=True, slots=True)
class PageSource:
    """Where a page's text came from ('layer', 'ocr', …), its OCR state (None: not scanned) and confidence."""

    page: int
    source: str | None
    ocr: str | None
    confidence: float | None


def waiting(catalog: Catalog, retry_failed: bool = False) -> list[Waiting]:
    """Pages of current, live documents that still need OCR (and, when asked, those that failed)."""
    states = "('needed', 'failed')" if retry_failed else "('needed')"
    rows = catalog.conn.execute(
        "SELECT p.version_id, d.id, v.sha256, v.kind, p.page_no FROM pages p "
        "JOIN versions v ON v.id = p.version_id JOIN documents d ON d.current_version_id = v.id "
        f"WHERE p.ocr IN {states} AND {LIVE_DOC} ORDER BY d.id, p.page_no"
    )
    return [Waiting(*row) for row in rows]


def count_waiting(catalog: Catalog) -> tuple[int, int]:
    """(pages, documents) whose current version still needs OCR."""
    row = catalog.conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT d.id) FROM pages p JOIN documents d ON d.current_version_id = p.version_id "
        f"WHERE p.ocr = 'needed' AND {LIVE_DOC}"
    ).fetchone()
    return row[0], row[1]


def count_done(catalog: Catalog) -> int:
    """Pages whose text was read by OCR (every version)."""
    return catalog.conn.execute("SELECT COUNT(*) FROM pages WHERE ocr = 'done'").fetchone()[0]


def page_text(catalog: Catalog, version_id: int, page_no: int) -> str:
    """The text a page holds now (for a scanned page, whatever scrap of text layer it had)."""
    (text,) = catalog.conn.execute(
        "SELECT text FROM pages WHERE version_id = ? AND page_no = ?", (version_id, page_no)).fetchone()
    return text


def set_ocr_text(catalog: Catalog, version_id: int, page_no: int, text: str, confidence: float | None) -> None:
    """Inside the caller's transaction: the page's text is OCR's, done, and an earlier failure of it forgotten."""
    catalog.require_transaction("ocrpages.set_ocr_text")
    catalog.conn.execute(
        "UPDATE pages SET text = ?, source = 'ocr', ocr = 'done', ocr_confidence = ? WHERE version_id = ? "
        "AND page_no = ?", (text, confidence, version_id, page_no))
    _forget_failure(catalog, version_id, page_no)


def set_ocr_failed(catalog: Catalog, version_id: int, page_no: int, reason: str) -> None:
    """Inside the caller's transaction: the page failed; its warning ("page N could not be OCRed: reason")
    replaces an earlier one."""
    catalog.require_transaction("ocrpages.set_ocr_failed")
    catalog.conn.execute("UPDATE pages SET ocr = 'failed' WHERE version_id = ? AND page_no = ?", (version_id, page_no))
    _forget_failure(catalog, version_id, page_no)
    catalog.conn.execute(
        "INSERT INTO problems (version_id, kind, severity, reason, created_at) VALUES (?, 'ocr', 'warning', ?, ?)",
        (version_id, f"page {page_no} could not be OCRed: {reason}", utcnow()))


def _forget_failure(catalog: Catalog, version_id: int, page_no: int) -> None:
    """An earlier attempt's failure is history once the page is tried again."""
    catalog.conn.execute("DELETE FROM problems WHERE version_id = ? AND kind = 'ocr' AND reason LIKE ?",
                         (version_id, f"page {page_no} could not be OCRed:%"))


def still_needed(catalog: Catalog, version_id: int) -> int:
    """How many pages of the version still wait for OCR."""
    return catalog.conn.execute(
        "SELECT COUNT(*) FROM pages WHERE version_id = ? AND ocr = 'needed'", (version_id,)).fetchone()[0]


def page_sources(catalog: Catalog, version_id: int) -> list[PageSource]:
    """Per page, in page order: where its text came from, and for OCR its state and mean confidence."""
    rows = catalog.conn.execute(
        "SELECT page_no, source, ocr, ocr_confidence FROM pages WHERE version_id = ? ORDER BY page_no", (version_id,))
    return [PageSource(*row) for row in rows]
