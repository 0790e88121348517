"""Recognise every page waiting for OCR: in the extraction workers, one page per task, each with its
own time limit, within the bounds per document of `dms.ocr.bounds`; then the document's metadata and
references are derived again from its full text (`dms.ocr.finish`), the change is audited, and the
search index catches up.

Nothing is held while a page is read: each result is written in a short transaction of its own, inside
`writing()` (the web server's write lock; nothing for the command line, which holds the archive's
ingest lock). Identical bytes are recognised once: a page of a file held by several documents is one task.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field

from dms.app import Dms
from dms.catalog import ocrwork
from dms.ingest.pool import ExtractPool
from dms.ocr import bounds, engine, pages
from dms.ocr.finish import finish_version
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
        on_progress: Callable[[int, int], None] | None = None, by: str | None = None,
        writing: Callable[[], AbstractContextManager] = nullcontext, stop: threading.Event | None = None,
        index_every: int = INDEX_EVERY) -> OcrReport:
    """OCR what waits. Without Tesseract nothing changes and the report says why the pages wait.
    `by` is who the audit log names (default: the settings' user; "" names whoever ingested each document,
    as the web's background OCR does for uploads); `writing()` is held around each write; once `stop` is
    set, no more results are written."""
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
    if retry_failed:
        with writing(), dms.catalog.transaction():
            ocrwork.retry_failed(dms.catalog)
    settings = dms.settings
    own = pool is None
    if own:
        pool = ExtractPool(settings.workers, dms.rules, settings.extract_timeout, settings.worker_memory_mb)
    try:
        _Run(dms, pool, todo, report, on_progress, by, writing, stop, index_every).go()
    finally:
        if own:
            pool.close()
    if stop is not None and stop.is_set():
        return report
    with writing():
        dms.sync_index()
    report.waiting, report.waiting_documents = pages.count_waiting(dms.catalog)
    report.seconds = round(time.monotonic() - started, 3)
    return report


class _Run:
    """One pass over the waiting pages: a few pages in the workers at a time, in document order, so a
    document's time can be measured and its remaining pages left out when it runs over."""

    def __init__(self, dms: Dms, pool, todo: list[pages.Waiting], report: OcrReport, on_progress, by: str | None,
                 writing, stop: threading.Event | None, index_every: int):
        self.dms, self.pool, self.report, self.on_progress = dms, pool, report, on_progress
        self.by = dms.settings.user if by is None else by
        self.writing, self.stop, self.index_every = writing, stop, index_every
        s = dms.settings
        self.program = engine.find(s.tesseract)
        self.holders: dict[tuple[str, int], list[pages.Waiting]] = defaultdict(list)
        for w in todo:
            self.holders[(w.sha256, w.page_no)].append(w)
        self.window = 2 * max(1, s.workers)  # enough to keep the workers busy; few enough to stop a document soon
        self.started: dict[str, float] = {}  # sha -> when its first page went to a worker
        self.total, self.done, self.since_index = len(self.holders), 0, 0
        self.confidences: list[float] = []
        self.pending: deque[tuple[str, int]] = deque(self._within_page_limit())

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _within_page_limit(self) -> list[tuple[str, int]]:
        """The pages to read, at most DMS_OCR_MAX_PAGES per document; the others are left out now."""
        limit = self.dms.settings.ocr_max_pages
        by_sha: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for key in self.holders:
            by_sha[key[0]].append(key)
        keep: list[tuple[str, int]] = []
        for keys in by_sha.values():
            keep += keys[:limit]
            if len(keys) > limit:
                total = len(keys)
                self._leave_out(keys[limit:], lambda numbers, total=total: bounds.over_pages(numbers, total, limit))
        return keep

    def _leave_out(self, keys: list[tuple[str, int]], reason) -> None:
        by_version: dict[int, list[int]] = defaultdict(list)
        docs: dict[int, int] = {}
        for key in keys:
            for w in self.holders.pop(key):
                by_version[w.version_id].append(w.page_no)
                docs[w.version_id] = w.doc_id
            self.total -= 1
        with self.writing(), self.dms.catalog.transaction():
            for vid in bounds.leave_out(self.dms.catalog, by_version, reason):
                self.report.problems.append({"path": self.dms.catalog.document(docs[vid]).path, "kind": "ocr",
                                             "severity": "warning", "reason": reason(by_version[vid])})
                self._finish_if_complete({vid: docs[vid]})

    def _feed(self) -> None:
        limit = self.dms.settings.ocr_document_timeout
        s = self.dms.settings
        while self.pending and self.pool.in_flight < self.window and not self.stopped():
            sha, page_no = self.pending[0]
            now = time.monotonic()
            if now - self.started.setdefault(sha, now) > limit:
                cut = [key for key in self.pending if key[0] == sha]
                self.pending = deque(key for key in self.pending if key[0] != sha)
                self._leave_out(cut, lambda numbers: bounds.over_time(numbers, limit))
                continue
            self.pending.popleft()
            group = self.holders[(sha, page_no)]
            self.pool.submit((sha, page_no), OcrTask(
                blob=self.dms.store.path_for(sha), kind=group[0].kind, page_no=page_no, program=self.program,
                languages=s.ocr_languages, timeout=s.ocr_page_timeout, max_pixels=int(s.ocr_max_megapixels * 1e6)))

    def go(self) -> None:
        self._feed()
        while self.pool.in_flight and not self.stopped():
            key, result = self.pool.next_result()
            if self.stopped():  # the server is shutting down: the page waits for its next start
                return
            self._write(self.holders.pop(key), result)
            self._feed()
        if self.confidences:
            self.report.confidence = round(sum(self.confidences) / len(self.confidences), 1)

    def _write(self, group: list[pages.Waiting], result: OcrResult) -> None:
        with self.writing(), self.dms.catalog.transaction():
            for w in group:
                _apply(self.dms, w, result, self.report)
            self._finish_if_complete({w.version_id: w.doc_id for w in group})
        if result.failure is None:
            self.report.pages += 1
            if result.confidence is not None:
                self.confidences.append(result.confidence)
        else:
            self.report.failed += 1
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.total)
        if self.since_index >= self.index_every:
            with self.writing():
                self.dms.sync_index()
            self.since_index = 0

    def _finish_if_complete(self, versions: dict[int, int]) -> None:
        """Inside the write: each version (-> its document) with no page left waiting is finished."""
        catalog = self.dms.catalog
        for version_id, doc_id in versions.items():
            if pages.still_needed(catalog, version_id) == 0:
                who = self.by or ocrwork.ingested_by(catalog, doc_id) or self.dms.settings.user
                if finish_version(self.dms, version_id, who):
                    self.report.documents += 1
                    self.since_index += 1


def _apply(dms: Dms, w: pages.Waiting, result: OcrResult, report: OcrReport) -> None:
    if not ocrwork.still_waits(dms.catalog, w.version_id, w.page_no):
        return  # read meanwhile by another run, or its document changed
    if result.failure is None:
        pages.write_text(dms.catalog, w.version_id, w.page_no, result.text, result.confidence)
    else:
        pages.write_failure(dms.catalog, w.version_id, w.page_no, result.failure)
        path = dms.catalog.document(w.doc_id).path
        report.problems.append({"path": path, "kind": "ocr", "severity": "warning",
                                "reason": f"page {w.page_no} could not be OCRed: {result.failure}"})
