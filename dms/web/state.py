"""What the web app holds between requests: settings, one open archive per worker thread, templates.

FastAPI runs plain `def` routes on a pool of threads. A SQLite connection and a Whoosh searcher
belong to one thread, so each thread opens its own `Dms` the first time it serves a request and
keeps it while it lives: the pool ends threads idle for a while, and their archives are closed when
the next thread opens one (so a server holds as many catalog connections as it has threads). An
archive whose PostgreSQL connection is gone (the server restarted, or dropped an idle connection)
is opened anew; one unused for PING_AFTER seconds is checked with a read before it is handed out.
Writes that touch the search index (uploads, change requests filed as documents) take `write_lock`,
one at a time. Nothing long runs under it: scanned pages are read by the OCR queue (`dms.ocr.queue`)
outside it, which takes it only to write each page's text (`background_write`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

from fastapi.templating import Jinja2Templates

from dms.app import Dms
from dms.config import Settings

HERE = Path(__file__).parent
BACKGROUND_RETRY = 5.0  # seconds background work waits before trying the ingest lock again
PING_AFTER = 1.0  # seconds a thread's archive may sit unused before its catalog connection is checked
log = logging.getLogger("dms.web")


class WebState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.write_lock = threading.Lock()
        self.templates = Jinja2Templates(directory=HERE / "templates")
        from dms.web.render import install_helpers

        install_helpers(self.templates)
        self._local = threading.local()
        self._opened: list[tuple[threading.Thread, Dms]] = []  # each open archive with the thread it is for
        self._guard = threading.Lock()
        self._generation = 0  # bumped by close(): a thread's archive from before is not used again
        from dms.ocr.queue import OcrQueue

        self.ocr = OcrQueue(settings, self.dms, self.background_write)

    def dms(self) -> Dms:
        """This thread's open archive (opened anew if its catalog connection is gone)."""
        held = getattr(self._local, "held", None)
        now = time.monotonic()
        if held is not None and held[0] == self._generation and _usable(held[1], now - held[2]):
            self._local.held = (held[0], held[1], now)
            return held[1]
        lost = held[1] if held is not None and held[0] == self._generation else None
        archive = Dms(self.settings)
        with self._guard:
            done = [a for t, a in self._opened if a is lost or not t.is_alive()]
            self._opened = [(t, a) for t, a in self._opened if a is not lost and t.is_alive()]
            self._opened.append((threading.current_thread(), archive))
            self._local.held = (self._generation, archive, now)
        for old in done:  # its thread ended, or its connection is gone
            try:
                old.close()
            except Exception:  # a connection the server dropped may fail to close: it is gone either way
                log.warning("closing an archive no thread uses failed", exc_info=True)
        return archive

    def write(self, work, *args, **kwargs):
        """work(this thread's archive, *args, **kwargs), one writer at a time (index writes cannot overlap)."""
        with self.write_lock:
            return work(self.dms(), *args, **kwargs)

    @contextmanager
    def background_write(self, stop: threading.Event) -> Iterator[None]:
        """For background work (OCR): the write lock, then the archive's ingest lock. While another process
        (a `dms ingest`) holds the latter, both are let go and taken again later, so that web writes never
        wait behind it; once `stop` is set, it gives up with `Busy`."""
        from dms.errors import Busy
        from dms.locks import ingest_lock

        brief = replace(self.settings, lock_wait=1.0)
        while True:
            with ExitStack() as stack:
                stack.enter_context(self.write_lock)
                try:
                    stack.enter_context(ingest_lock(brief))
                except Busy:
                    if stop.is_set():
                        raise
                else:
                    held = stack.pop_all()
                    break
            time.sleep(BACKGROUND_RETRY)
        with held:
            yield

    def close(self) -> None:
        self.ocr.stop()
        with self._guard:
            opened, self._opened = self._opened, []
            self._generation += 1
        for _, archive in opened:
            archive.close()


def _usable(archive: Dms, idle: float) -> bool:
    """Whether the archive's catalog connection still works: known lost, or (after PING_AFTER s unused) unreadable."""
    from dms.errors import CatalogError

    if archive.catalog.lost():
        return False
    if idle < PING_AFTER:
        return True
    try:
        archive.catalog.ping()
    except CatalogError:
        return False
    return True
