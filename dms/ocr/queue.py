"""OCR in the background of the web server, so that no request waits for it.

An upload returns once its files are stored and catalogued; their scanned pages are marked "needed" in
the catalog, which is the queue: one thread of the server reads them in the extraction workers
(`dms.ocr.phase`, within the same bounds as `dms ocr`) and writes each page's text in a short write of its
own, so other writes go on meanwhile. When the server starts it takes up the pages left waiting (a
`dms ingest` with DMS_OCR=0, a server stopped half-way); an upload wakes it at once, and it looks again
every IDLE_CHECK seconds. The audit log names the uploader for the OCR of an upload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from dms.app import Dms
from dms.config import Settings
from dms.ocr import pages, phase

log = logging.getLogger("dms.ocr")

IDLE_CHECK = 60.0  # seconds between two looks at the catalog when nothing wakes the queue


class OcrQueue:
    def __init__(self, settings: Settings, archive: Callable[[], Dms],
                 writing: Callable[[threading.Event], AbstractContextManager]):
        """`archive()` is the calling thread's open archive; `writing(stop)` is held around each write."""
        self.settings = settings
        self._archive, self._writing = archive, writing
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self.reading = False  # pages are being read right now
        self.why_waiting: str | None = None  # why pages wait although the queue runs (no Tesseract, …)

    def start(self) -> None:
        """Start the queue's thread (once); with DMS_OCR=0 pages wait for `dms ocr` instead."""
        if not self.settings.ocr:
            self.why_waiting = "OCR is switched off (DMS_OCR=0); `dms ocr` recognises them"
            return
        with self._guard:
            if self._thread is None or not self._thread.is_alive():  # first start, or again after stop()
                self._stop.clear()
                self._thread = threading.Thread(target=self._main, name="dms-ocr-queue", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        """New pages wait: read them now."""
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """No result is written once this is called; a page being read is read again at the next start."""
        self._stop.set()
        self._wake.set()
        with self._guard:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def status(self) -> dict:
        thread = self._thread
        running = thread is not None and thread.is_alive() and not self._stop.is_set()
        return {"running": running, "reading": self.reading, "why_waiting": self.why_waiting}

    def _main(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                more = self._round()
            except Exception:  # the pages stay "needed": the next round tries again
                log.exception("background OCR failed; it tries again in %g s", IDLE_CHECK)
                more = False
            if not more:
                self._wake.wait(IDLE_CHECK)

    def _round(self) -> bool:
        """Read what waits now; True when something was done (more may have come in meanwhile)."""
        archive = self._archive()
        if not pages.count_waiting(archive.catalog)[0]:
            self.why_waiting = None
            return False
        writing = lambda: self._writing(self._stop)  # noqa: E731
        self.reading = True
        try:
            report = phase.run(archive, by="", writing=writing, stop=self._stop, index_every=1)
        finally:
            self.reading = False
        self.why_waiting = report.why_waiting
        if report.documents and not self._stop.is_set():
            from dms.graph.sync import sync

            with writing():
                sync(archive, brief=True)  # the links of what OCR read
        if report.pages or report.failed:
            log.info("background OCR: %d page(s) read, %d failed, %d document(s) complete",
                     report.pages, report.failed, report.documents)
        return bool(report.pages or report.failed or report.problems) and not report.why_waiting
