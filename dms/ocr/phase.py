"""Recognise every page waiting for OCR: in the extraction workers, one page per task, each with its
own time limit; then the document's metadata and references are derived again from its full text,
the change is audited, and the search index catches up.

Identical bytes are recognised once: a page of a file held by several documents is one task.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import PurePath

from dms import audit
from dms.app import Dms
from dms.ingest.metadata import derive
from dms.ingest.pool import ExtractPool
from dms.ingest.registry import Raw
from dms.ocr import engine, pages
from dms.ocr.task import OcrResult, OcrTask

INDEX_EVERY = 200  # documents finished between index commits


@dataclass(slots=True)
class OcrReport:
    pages: int = 0  # pages recognised
    failed: int = 0  # pages that could not be
    documents: int = 0  # documents whose text is now complete
    waiting: int = 0  # pages still waiting (Tesseract missing, OCR switched off)
    waiting_documents: int = 0
    why_waiting: str | None = None
    confidence: float | None = None  # mean over the pages recognised
    seconds: float = 0.0
    problems: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def unavailable(dms: Dms) -> str | None:
    """Why OCR cannot run here, or None when it can."""
    program = engine.find(dms.settings.tesseract)
    if program is None:
        return engine.missing_message(dms.settings.tesseract)
    try:
        lacking = engine.missing_languages(program, dms.settings.ocr_languages)
    except (OSError, subprocess.SubprocessError, engine.OcrFailed) as exc:
        return f"Tesseract ({program}) does not work: {exc}"
    if lacking:
        packages = " ".join(f"tesseract-ocr-{lang.lower().replace('_', '-')}" for lang in lacking)
        return (f"Tesseract has no language pack for {', '.join(lacking)} (DMS_OCR_LANGUAGES="
                f"{dms.settings.ocr_languages}; on Debian: apt install {packages})")
    return None


def run(dms: Dms, pool: ExtractPool | None = None, retry_failed: bool = False,
        on_progress: Callable[[int, int], None] | None = None, by: str | None = None) -> OcrReport:
    """OCR what waits. Without Tesseract nothing changes and the report says why the pages wait.
    `by` is who the audit log names (default: the settings' user)."""
    started = time.monotonic()
    report = OcrReport()
    todo = pages.waiting(dms.catalog, retry_failed)
    if not todo:
        return report
    why = unavailable(dms)
    if why:
        report.waiting, report.waiting_documents = pages.count_waiting(dms.catalog)
        report.why_waiting = why
        return report
    program = engine.find(dms.settings.tesseract)
    if retry_failed:
        with dms.catalog.transaction():
            dms.catalog.conn.execute("UPDATE pages SET ocr = 'needed' WHERE ocr = 'failed'")
    holders: dict[tuple[str, int], list[pages.Waiting]] = defaultdict(list)
    for w in todo:
        holders[(w.sha256, w.page_no)].append(w)
    settings = dms.settings
    own = pool is None
    if own:
        pool = ExtractPool(settings.workers, dms.rules, settings.extract_timeout, settings.worker_memory_mb)
    try:
        for (sha, page_no), group in holders.items():
            pool.submit((sha, page_no), OcrTask(
                blob=dms.store.path_for(sha), kind=group[0].kind, page_no=page_no, program=program,
                languages=settings.ocr_languages, timeout=settings.ocr_page_timeout,
                max_pixels=int(settings.ocr_max_megapixels * 1e6)))
        _collect(dms, pool, holders, report, on_progress, by or settings.user)
    finally:
        if own:
            pool.close()
    dms.sync_index()
    report.waiting, report.waiting_documents = pages.count_waiting(dms.catalog)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _collect(dms: Dms, pool, holders, report: OcrReport, on_progress, by: str) -> None:
    confidences: list[float] = []
    since_index = 0
    total, done = len(holders), 0
    for key, result in pool.results():
        group = holders.pop(key)
        with dms.catalog.transaction():
            for w in group:
                _apply(dms, w, result, report)
            finished = [w.version_id for w in group if pages.still_needed(dms.catalog, w.version_id) == 0]
            for version_id in dict.fromkeys(finished):
                if _finish_version(dms, version_id, by):
                    report.documents += 1
                    since_index += 1
        if result.failure is None:
            report.pages += 1
            if result.confidence is not None:
                confidences.append(result.confidence)
        else:
            report.failed += 1
        done += 1
        if on_progress:
            on_progress(done, total)
        if since_index >= INDEX_EVERY:
            dms.sync_index()
            since_index = 0
    if confidences:
        report.confidence = round(sum(confidences) / len(confidences), 1)


def _apply(dms: Dms, w: pages.Waiting, result: OcrResult, report: OcrReport) -> None:
    if result.failure is None:
        pages.write_text(dms.catalog, w.version_id, w.page_no, result.text, result.confidence)
    else:
        pages.write_failure(dms.catalog, w.version_id, w.page_no, result.failure)
        path = dms.catalog.document(w.doc_id).path
        report.problems.append({"path": path, "kind": "ocr", "severity": "warning",
                                "reason": f"page {w.page_no} could not be OCRed: {result.failure}"})


def _finish_version(dms: Dms, version_id: int, by: str) -> bool:
    """All pages are in: derive the metadata and references again from the whole text (keeping any field
    corrected by hand), record the OCR in the audit log, and leave the document for the index to refresh."""
    catalog = dms.catalog
    v = catalog.version(version_id)
    row = catalog.conn.execute("SELECT id, path FROM documents WHERE current_version_id = ?", (version_id,)).fetchone()
    if row is None:  # a newer version came in meanwhile: its own extraction and OCR decide its metadata
        return False
    doc_id, path = row
    text = catalog.pages(version_id)
    title = v.title if v.title and v.title != PurePath(path.split("#", 1)[-1]).name else None
    derived = derive(Raw(pages=list(text), title=title, meta=dict(v.meta)), path, dms.rules)
    kept = _edited_by_hand(dms, doc_id)
    values = {
        "doc_type": derived.doc_type, "doc_date": derived.doc_date, "date_source": derived.date_source,
        "number": derived.number, "revision": derived.revision, "products": list(derived.products),
        "parties": list(derived.parties), "refs": list(derived.refs),
    }
    values = {k: val for k, val in values.items() if k not in kept}
    encoded = {k: json.dumps(val) if isinstance(val, list) else val for k, val in values.items()}
    catalog.conn.execute(f"UPDATE versions SET {', '.join(f'{k} = ?' for k in encoded)} WHERE id = ?",
                         (*encoded.values(), version_id))
    catalog.conn.execute("DELETE FROM refs WHERE version_id = ?", (version_id,))
    catalog.conn.executemany(
        "INSERT INTO refs (version_id, family, number, revision, page, offset, snippet) VALUES (?,?,?,?,?,?,?)",
        [(version_id, r.family, r.number, r.revision, r.page, r.offset, r.snippet) for r in derived.references])
    catalog.conn.execute("UPDATE documents SET indexed_version_id = NULL WHERE current_version_id = ?",
                         (version_id,))
    summary = pages.summary(catalog, version_id) or {}
    audit.record(catalog, by, "ocr", f"doc:{doc_id}", {
        "version": v.seq, "sha256": v.sha256, "pages": summary.get("ocr_pages", []),
        "failed": summary.get("failed", []), "confidence": summary.get("confidence"),
        "languages": dms.settings.ocr_languages,
    })
    return True


def _edited_by_hand(dms: Dms, doc_id: int) -> set[str]:
    from dms.records import EDITABLE

    kept: set[str] = set()
    for (details,) in dms.catalog.conn.execute(
            "SELECT details FROM audit_log WHERE subject = ? AND action = 'metadata edited'", (f"doc:{doc_id}",)):
        kept |= {EDITABLE[k] for k in json.loads(details).get("after", {}) if k in EDITABLE}
    if "doc_date" in kept:
        kept.add("date_source")
    return kept
