"""One ingest writer at a time per archive, across processes and threads.

Every entry point that writes documents (`dms ingest`, `dms ocr`, `dms watch` batches, `dms reindex`,
web uploads, the files dms ingests of its own such as change-request renderings) takes
`ingest_lock(settings)`. It is two locks in one:

- an `flock` on `ingest.lock` in the data directory, which the kernel releases when its process dies
  (a SIGKILLed ingest never leaves the archive locked), holding who took it: "pid N, started T".
  It is opened with `open_own`, never through a symbolic link, FIFO or hard link planted there;
- a re-entrant lock per process and data directory, so a thread that already holds it (a change
  request filed while the web write lock is held, an ingest that runs OCR) takes it again freely, and
  other threads of the same process wait like other processes do.

A second writer waits, saying so once on stderr, for at most `DMS_LOCK_WAIT` seconds, then fails with
`Busy`. Order, to never deadlock: the web write lock (if any) first, then this one.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from dms.config import Settings
from dms.errors import Busy, IntegrityError

POLL = 0.05  # seconds between two tries of the file lock


class _Held:
    """This process's hold on one data directory's ingest lock."""

    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.depth = 0  # guarded by rlock
        self.fh = None


_registry: dict[str, _Held] = {}
_registry_guard = threading.Lock()


def _held_for(path: str) -> _Held:
    with _registry_guard:
        return _registry.setdefault(path, _Held())


def holder(settings: Settings) -> str:
    """Who holds the lock, as written in the lock file ("pid N, started T"), or "" if unknown."""
    try:
        fd = os.open(settings.home / "ingest.lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, encoding="utf-8", errors="replace") as fh:
            return fh.read(200).strip()
    except OSError:
        return ""


def _say_waiting(settings: Settings) -> None:
    who = holder(settings) or "pid unknown"
    print(f"another ingest ({who}) is running on this archive; waiting up to {settings.lock_wait:g} s "
          "(DMS_LOCK_WAIT)…", file=sys.stderr, flush=True)


def _busy(settings: Settings) -> Busy:
    who = holder(settings) or "pid unknown"
    return Busy(f"another ingest ({who}) is still running on this archive after waiting {settings.lock_wait:g} s "
                "(DMS_LOCK_WAIT); try again when it has finished")


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """Hold the archive's ingest lock for the duration of the block (re-entrant within a thread)."""
    path = str(settings.home / "ingest.lock")
    held = _held_for(path)
    deadline = time.monotonic() + settings.lock_wait
    said = False
    if not held.rlock.acquire(blocking=False):
        _say_waiting(settings)
        said = True
        if not held.rlock.acquire(timeout=settings.lock_wait):
            raise _busy(settings)
    try:
        if held.depth == 0:
            held.fh = _take_file(settings, path, deadline, said)
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0:
                fh, held.fh = held.fh, None
                fh.truncate(0)  # still locked: nobody reads a stale holder
                fh.close()  # closing releases the flock
    finally:
        held.rlock.release()


def _take_file(settings: Settings, path: str, deadline: float, said: bool):
    settings.home.mkdir(parents=True, exist_ok=True)
    fh = os.fdopen(open_own(path), "r+", encoding="utf-8")  # kept open while held; closed on release
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _busy(settings) from None
                if not said:
                    _say_waiting(settings)
                    said = True
                time.sleep(POLL)
        fh.seek(0)
        fh.truncate(0)
        fh.write(f"pid {os.getpid()}, started {datetime.now(UTC).isoformat(timespec='seconds')}\n")
        fh.flush()
    except BaseException:
        fh.close()
        raise
    return fh


def one_writer(func):
    """Decorator: run func(dms, …) holding the ingest lock of dms's archive."""

    @functools.wraps(func)
    def locked(dms, *args, **kwargs):
        with ingest_lock(dms.settings):
            return func(dms, *args, **kwargs)

    return locked


@contextmanager
def try_exclusive(path) -> Iterator[bool]:
    """An flock on path if no other holder has it (yields True), else nothing (yields False); never waits."""
    with os.fdopen(open_own(path), "r+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # closing the file releases the lock


def open_own(path) -> int:
    """A file dms keeps in its data directory, opened to read and write (made if missing, mode 0600), never
    through a symbolic link, FIFO or second hard link planted there: writing through one would change a file
    elsewhere (IntegrityError naming the file, which is left as it is)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)  # O_NOFOLLOW with O_CREAT: a dangling link is refused, its target not made
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR):
            raise _planted(path, "a symbolic link" if exc.errno == errno.ELOOP else "a folder") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise _planted(path, "not a plain file" if not stat.S_ISREG(info.st_mode) else "a second name (hard link) "
                       "of another file")
    os.set_blocking(fd, True)
    return fd


def _planted(path, what: str) -> IntegrityError:
    return IntegrityError(f"{path} is {what}: dms never writes through it, as that would change a file elsewhere. "
                          "Something was put there in place of dms's own file: remove it and try again")
