"""Previews made in the background of the web server, so that no request renders anything.

A request that finds a preview missing (a PDF page image, a page's word boxes, a thumbnail of a file ingested
with DMS_THUMBNAILS=0 or before previews existed) answers at once with a placeholder and asks this queue for
it. One thread hands the work to one worker process of its own (`dms.ingest.pool.ExtractPool`: a time limit
and a memory cap per task, like extraction), which writes the preview into the cache; the next request finds
it. The worker is started on the first request for work and let go after IDLE_CLOSE seconds without any.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path

from dms.preview.spec import PreviewSpec
from dms.preview.task import PreviewTask

log = logging.getLogger("dms.preview")

IDLE_CLOSE = 120.0  # seconds without work before the queue's worker process is let go
MAX_WAITING = 1000  # previews asked for and not yet made; more requests are dropped (asked for again later)


class PreviewQueue:
    def __init__(self, spec: PreviewSpec, memory_mb: int):
        self.spec, self._memory_mb = spec, memory_mb
        self._cond = threading.Condition()
        self._waiting: deque[PreviewTask] = deque()
        self._asked: set[tuple[str, str]] = set()  # (sha, what) waiting or being made
        self._thread: threading.Thread | None = None
        self._stop = False
        self.made = 0

    def ask(self, blob: Path, kind: str, sha256: str, what: str) -> None:
        """Make this preview soon (once, however often it is asked for)."""
        key = (sha256, what)
        with self._cond:
            if key in self._asked or len(self._waiting) >= MAX_WAITING or self._stop:
                return
            self._asked.add(key)
            self._waiting.append(PreviewTask(self.spec, blob, kind, sha256, what))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._main, name="dms-preview-queue", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def pending(self, sha256: str, what: str) -> bool:
        with self._cond:
            return (sha256, what) in self._asked

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _next(self) -> PreviewTask | None:
        with self._cond:
            if not self._waiting and not self._stop:
                self._cond.wait(IDLE_CLOSE)
            if self._stop or not self._waiting:
                self._thread = None  # under the lock: a task asked for from now on starts a new thread
                return None
            return self._waiting.popleft()

    def _main(self) -> None:
        from dms.ingest.pool import ExtractPool

        pool = ExtractPool(1, None, 120.0, self._memory_mb)
        try:
            while (task := self._next()) is not None:
                try:
                    pool.submit(task.what, task)
                    _key, result = pool.next_result()
                    if result.failure:
                        log.info("preview %s of %s not made: %s", task.what, task.sha256[:12], result.failure)
                    else:
                        self.made += 1
                except Exception:  # the pool failed: the preview is asked for again by the next request
                    log.exception("the preview queue failed on %s of %s", task.what, task.sha256[:12])
                finally:
                    with self._cond:
                        self._asked.discard((task.sha256, task.what))
        finally:
            pool.close()
