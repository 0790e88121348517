"""OCR of a document's pages as dms sees them: which pages wait, a page's recognised text (after whatever
scrap of text layer it had) or its failure, and the document-level view ("needs OCR", OCR pages with their
confidence). The SQL is dms.catalog.ocrpages."""

from __future__ import annotations

from dms.catalog import ocrpages
from dms.catalog.db import Catalog
from dms.catalog.ocrpages import Waiting, count_done, count_waiting, still_needed, waiting

__all__ = ["Waiting", "count_done", "count_waiting", "page_sources", "progress", "still_needed", "summary",
           "waiting", "write_failure", "write_text"]


def write_text(catalog: Catalog, version_id: int, page_no: int, text: str, confidence: float | None) -> None:
    """Inside the caller's transaction: recognised text for a page, after whatever scrap of text layer it had."""
    layer = ocrpages.page_text(catalog, version_id, page_no)
    joined = f"{layer.strip()}\n{text}" if layer.strip() else text
    ocrpages.set_ocr_text(catalog, version_id, page_no, joined, confidence)


def write_failure(catalog: Catalog, version_id: int, page_no: int, reason: str) -> None:
    """Inside the caller's transaction: the page could not be OCRed, with a warning saying why."""
    ocrpages.set_ocr_failed(catalog, version_id, page_no, reason)


def page_sources(catalog: Catalog, version_id: int) -> list[dict]:
    """Per page: where its text came from, and for OCR its state and mean confidence."""
    return [{"page": p.page, "source": p.source, "ocr": p.ocr, "confidence": p.confidence}
            for p in ocrpages.page_sources(catalog, version_id)]


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
