"""Watched folders: files are ingested as they arrive, once they have stopped growing.

Filesystem events (inotify and the like, through watchdog) say which paths changed; a rescan at
start and every `rescan` seconds catches what events miss (network shares, a full event queue,
files that came while dms was not running). A path is ingested once its size and modification
time have held still for `settle` seconds. The catalog remembers each file's size and mtime,
so a restart neither misses a file nor ingests one twice. Each watched folder's real path is pinned when
the watch starts: a folder later replaced by a link to elsewhere is a problem, not followed there.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dms.app import Dms
from dms.catalog import intake
from dms.display import shown, to_text
from dms.errors import DmsError, UsageError
from dms.ingest.pipeline import IngestReport, ingest
from dms.ingest.scan import SKIPPED_NAMES, Tree, pinned_root, scan

log = logging.getLogger("dms.watch")
IN_PROGRESS_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".swp")  # renamed when done
BATCH = 200  # files per ingest run, so that a stop request waits for at most one batch


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    since: float  # when it last changed


@dataclass(frozen=True, slots=True)
class Outcome:
    path: str  # the catalog's text form (dms.display.to_text)
    outcome: str  # added | updated | unchanged | not stored
    doc_id: int | None


def wanted(path: str, home: Path) -> bool:
    name = os.path.basename(path)
    if name.startswith(SKIPPED_NAMES) or name.lower().endswith(IN_PROGRESS_SUFFIXES):
        return False
    return not Path(path).is_relative_to(home)


class Watcher:
    def __init__(self, dms: Dms, roots: list[str], settle: float = 2.0, rescan: float = 300.0,
                 on_batch: Callable[[IngestReport, list[Outcome]], None] | None = None):
        self.dms = dms
        self.roots = [os.path.abspath(Path(r).expanduser()) for r in roots]
        for root in self.roots:
            if not os.path.isdir(root):
                raise UsageError(f"cannot watch {root}: it is not a folder")
        self.trees = [Tree(root, pinned_root(root)) for root in self.roots]  # real paths pinned now
        self.settle, self.rescan_every, self.on_batch = settle, rescan, on_batch
        self._lock = threading.Lock()
        self._noted: set[str] = set()  # paths events named since the last tick; guarded by _lock
        self._seen: dict[str, _Seen] = {}  # candidates waiting to hold still (main loop only)

    # -- events (watchdog's thread) ------------------------------------------------------------
    def note(self, path: str) -> None:
        with self._lock:
            self._noted.add(path)

    def _observer(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
                    return
                watcher.note(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))

        observer = Observer()
        for root in self.roots:
            observer.schedule(Handler(), root, recursive=True)
        return observer

    # -- the main loop ---------------------------------------------------------------------------
    def run(self, stop: threading.Event, tick: float = 0.5) -> None:
        observer = self._observer()
        observer.start()
        log.info("watching %s (settle %g s, rescan every %g s)", ", ".join(map(shown, self.roots)), self.settle,
                 self.rescan_every)
        try:
            next_rescan = 0.0
            while not stop.is_set():
                now = time.monotonic()
                if now >= next_rescan:
                    self.try_rescan()
                    next_rescan = now + self.rescan_every
                ready = self.ready(time.monotonic())
                while ready and not stop.is_set():
                    self.carry_on(ready[:BATCH])
                    ready = ready[BATCH:]
                stop.wait(tick)
        finally:
            observer.stop()
            observer.join(10)
            log.info("stopped")

    def carry_on(self, paths: list[str]) -> None:
        """Ingest a batch; whatever goes wrong is logged, never the end of the watch (the next rescan retries)."""
        try:
            self.ingest(paths)
        except DmsError as exc:  # a clear reason (another ingest holds the archive, a damaged catalog): no traceback
            log.warning("could not ingest %d file(s) (%s%s): %s; the next rescan tries again", len(paths),
                        ", ".join(map(shown, paths[:3])), ", …" if len(paths) > 3 else "", shown(str(exc)))
        except Exception:
            log.exception("could not ingest %d file(s) (%s%s); the next rescan tries again", len(paths),
                          ", ".join(map(shown, paths[:3])), ", …" if len(paths) > 3 else "")

    def try_rescan(self) -> None:
        """A rescan; whatever goes wrong is one clear line in the log, never the end of the watch."""
        try:
            self.rescan()
        except Exception as exc:
            log.error("could not rescan the watched folders (%s: %s); the next rescan tries again",
                      type(exc).__name__, shown(str(exc)))
            log.debug("the rescan failed", exc_info=True)

    def rescan(self) -> None:
        """Every file under the roots that the catalog does not hold as it is now; and what cannot be read."""
        found = scan(self.trees, self.dms.settings.follow_symlinks)
        catalog = self.dms.catalog
        known = catalog.known_files()
        fresh, pending = 0, {p.path for p in found.problems}
        for f in found.files:
            prior = known.get(f.key)
            if prior is None or (prior.size, prior.mtime_ns) != (f.size, f.mtime_ns):
                pending.add(f.key)  # its lasting problem, if any, stands until it is read
                if f.path not in self._seen:
                    self.note(f.path)
                    fresh += 1
        changed = intake.note_many(catalog, [(p.path, p.kind, p.severity, p.reason) for p in found.problems])
        for p, new in zip(found.problems, changed):
            if new:
                log.warning("%s: %s: %s", p.severity, shown(p.path), shown(p.reason))
        intake.forget_under(catalog, found.walked, pending)
        if fresh:
            log.info("rescan: %d new or changed file(s)", fresh)

    def ready(self, now: float) -> list[str]:
        """Candidates whose size and mtime have held still for `settle` seconds."""
        with self._lock:
            noted, self._noted = self._noted, set()
        home = self.dms.settings.home
        for path in noted:
            if wanted(path, home) and path not in self._seen:
                self._seen[path] = _Seen(-1, -1, now)
        out = []
        for path, seen in list(self._seen.items()):
            try:
                st = os.lstat(path)  # a link, FIFO or device is judged (and reported) by the ingest, never opened
            except OSError:  # gone again (a temporary file)
                del self._seen[path]
                continue
            if stat.S_ISDIR(st.st_mode):
                del self._seen[path]
            elif (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
                seen.size, seen.mtime_ns, seen.since = st.st_size, st.st_mtime_ns, now
            elif now - seen.since >= self.settle:
                out.append(path)
                del self._seen[path]
        return sorted(out)

    def ingest(self, paths: list[str]) -> None:
        catalog = self.dms.catalog
        before = catalog.known_files()
        present = [p for p in paths if os.path.lexists(p)]
        if not present:
            return
        report = ingest(self.dms, present, within=self.trees, lasting=True)  # files met in the watched folders
        after = catalog.known_files()
        outcomes = []
        for path in map(to_text, present):
            old, new = before.get(path), after.get(path)
            what = ("not stored" if new is None else "added" if old is None
                    else "unchanged" if old.sha256 == new.sha256 else "updated")
            outcomes.append(Outcome(path, what, new.doc_id if new else None))
            if what == "unchanged":
                log.info("unchanged %s", shown(path))
            elif new is not None:
                log.info("%s %s as document %d", what, shown(path), new.doc_id)
        for p in report.problems:
            log.warning("%s: %s: %s", p["severity"], shown(p["path"]), shown(p["reason"]))
        if report.ocr and report.ocr.get("waiting"):
            log.warning("%d scanned page(s) wait for OCR: %s", report.ocr["waiting"], report.ocr["why_waiting"])
        if self.on_batch:
            self.on_batch(report, outcomes)
