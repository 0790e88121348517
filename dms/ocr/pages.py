"""The catalog's side of OCR: which pages wait for it, writing a page's text back, and the
document-level view ("needs OCR", OCR pages with their confidence)."""

from __future__ import annotations

from dataclasses import dataclass

from dms.catalog.db import Catalog, utcnow

LIVE_DOC = "d.retired_at IS NULL AND d.purged_at IS NULL"


@dataclass(frozen=True, slots=True)
class Waiting:
    version_id: int
    doc_id: int
    sha256: str
    kind: str
    page_no: int


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


def write_text(catalog: Catalog, version_id: int, page_no: int, text: str, confidence: float | None) -> None:
    """Recognised text for a page, after whatever scrap of text layer it had."""
    (layer,) = catalog.conn.execute(
        "SELECT text FROM pages WHERE version_id = ? AND page_no = ?", (version_id, page_no)).fetchone()
    joined = f"{layer.strip()}\n{text}" if layer.strip() else text
    catalog.conn.execute(
        "UPDATE pages SET text = ?, source = 'ocr', ocr = 'done', ocr_confidence = ? WHERE version_id = ? "
        "AND page_no = ?", (joined, confidence, version_id, page_no))
    _forget_failure(catalog, version_id, page_no)


def _forget_failure(catalog: Catalog, version_id: int, page_no: int) -> None:
    """An earlier attempt's failure is history once the page is tried again."""
    catalog.conn.execute("DELETE FROM problems WHERE version_id = ? AND kind = 'ocr' AND reason LIKE ?",
                         (version_id, f"page {page_no} could not be OCRed:%"))


def write_failure(catalog: Catalog, version_id: int, page_no: int, reason: str) -> None:
    catalog.conn.execute("UPDATE pages SET ocr = 'failed' WHERE version_id = ? AND page_no = ?", (version_id, page_no))
    _forget_failure(catalog, version_id, page_no)
    catalog.conn.execute(
        "INSERT INTO problems (version_id, kind, severity, reason, created_at) VALUES (?, 'ocr', 'warning', ?, ?)",
        (version_id, f"page {page_no} could not be OCRed: {reason}", utcnow()))


def still_needed(catalog: Catalog, version_id: int) -> int:
    return catalog.conn.execute(
        "SELECT COUNT(*) FROM pages WHERE version_id = ? AND ocr = 'needed'", (version_id,)).fetchone()[0]


def page_sources(catalog: Catalog, version_id: int) -> list[dict]:
    """Per page: where its text came from, and for OCR its state and mean confidence."""
    rows = catalog.conn.execute(
        "SELECT page_no, source, ocr, ocr_confidence FROM pages WHERE version_id = ? ORDER BY page_no", (version_id,))
    return [{"page": n, "source": source, "ocr": ocr, "confidence": conf} for n, source, ocr, conf in rows]


def summary(catalog: Catalog, version_id: int) -> dict | None:
    """For a document's page: how many pages are OCR text (with their mean confidence), waiting or failed."""
    pages = [p for p in page_sources(catalog, version_id) if p["ocr"]]
    if not pages:
        return None
    done = [p for p in pages if p["ocr"] == "done"]
    confs = [p["confidence"] for p in done if p["confidence"] is not None]
    return {
        "ocr_pages": [p["page"] for p in done],
        "needs_ocr": [p["page"] for p in pages if p["ocr"] == "needed"],
        "failed": [p["page"] for p in pages if p["ocr"] == "failed"],
        "confidence": round(sum(confs) / len(confs), 1) if confs else None,
        "pages": pages,
    }


def progress(catalog: Catalog, version_id: int) -> dict | None:
    """How far OCR of a version has come: {"pages", "done", "waiting", "failed"}; None without scanned pages."""
    states = [p["ocr"] for p in page_sources(catalog, version_id) if p["ocr"]]
    if not states:
        return None
    return {"pages": len(states), "done": states.count("done"), "waiting": states.count("needed"),
            "failed": states.count("failed")}
