"""Content-addressed store of originals: store/ab/cd/<sha256>, written once, read-only.

A file is copied to a temporary name inside the store while it is hashed, then
renamed into place, so a crash never leaves a partial blob under a real name.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dms.errors import UsageError

CHUNK = 1 << 20
GROWTH_ALLOWED = CHUNK  # bytes a file may gain between the scan and its read before it counts as being written


@dataclass(frozen=True, slots=True)
class Blob:
    sha256: str
    size: int
    path: Path
    repaired: bool = False  # an altered blob of these bytes was there and has been rewritten from them


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def kind_of(mode: int) -> str:
    """What a file's st_mode says it is, in words: FIFO, socket, character device, …"""
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "folder"), (stat.S_ISLNK, "symbolic link")):
        if test(mode):
            return name
    return "special file"


class NotRegularFile(OSError):
    """Where a regular file was expected: a FIFO, socket, device, folder or symbolic link, or another file."""


class StillGrowing(NotRegularFile):
    """A file that kept growing while it was read: not stored now, the next run reads it."""

    def __init__(self) -> None:
        super().__init__("still being written (it grew while read): not read now; the next run reads it")


def open_regular(path: Path | str, expect: tuple[int, int] | None = None) -> BinaryIO:
    """Open a regular file for reading, never blocking: a FIFO, device or socket put in its place after it was
    scanned is refused, not waited on (O_NONBLOCK), a symbolic link is not followed (O_NOFOLLOW), and with
    `expect` (st_dev, st_ino) a file that is not the one scanned is refused too. The checks are made on the
    open descriptor (fstat), the one then read, so nothing can be swapped in between."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile("replaced by a symbolic link after it was scanned: not followed") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"not a regular file ({kind_of(st.st_mode)}): not read")
        if expect and (st.st_dev, st.st_ino) != expect:
            raise NotRegularFile("replaced by another file after it was scanned: not read (the next run reads it)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


_SHA256 = re.compile(r"[0-9a-f]{64}")


class Store:
    def __init__(self, root: Path):
        self.root = root
        self._tmp = root / "tmp"
        self._made: set[Path] = set()  # directories known to exist

    def _ensure_dir(self, path: Path) -> None:
        if path not in self._made:
            path.mkdir(parents=True, exist_ok=True)
            self._made.add(path)

    def path_for(self, sha256: str) -> Path:
        """Where a blob lives; only a full lowercase hex SHA-256 names one, so no path can leave the store."""
        if not _SHA256.fullmatch(sha256):
            raise UsageError(f"{sha256!r} is not a SHA-256 (64 hex digits)")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_file(self, source: Path | str, expect: tuple[int, int] | None = None, size: int | None = None) -> Blob:
        """Store a regular file; `expect` is the (st_dev, st_ino) a scan saw there (see `open_regular`), `size`
        the size it saw: more than GROWTH_ALLOWED bytes beyond it are not read (StillGrowing), so a file that
        keeps growing is never read without end."""
        with open_regular(source, expect) as fh:
            return self.put_stream(fh, None if size is None else size + GROWTH_ALLOWED)

    def put_bytes(self, data: bytes) -> Blob:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha):
            self._commit_tmp(self._write_tmp([data]), sha)
        return Blob(sha, len(data), self.path_for(sha))

    def put_stream(self, fh: BinaryIO, limit: int | None = None) -> Blob:
        """Store what `fh` holds; with `limit`, a stream longer than that many bytes is StillGrowing, and at most
        one byte beyond the limit is read."""
        self._ensure_dir(self._tmp)
        digest = hashlib.sha256()
        size, repaired = 0, False
        import tempfile  # here: a command that only reads (search, trace) never imports it

        fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := fh.read(CHUNK if limit is None else min(CHUNK, limit + 1 - size)):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise StillGrowing()
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            if self.has(sha):
                repaired = self.repair(sha, Path(tmp_name))
            else:
                self._commit_tmp(Path(tmp_name), sha)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return Blob(sha, size, self.path_for(sha), repaired)

    def repair(self, sha256: str, tmp: Path) -> bool:
        """Given a temporary holding bytes that hash to sha256: when the stored blob of that name no longer
        does (altered on disk), put the temporary in its place atomically and return True; else drop it.
        Meeting a blob that already exists costs one re-read of it, so identical bytes never hide a damage."""
        if self.verify(sha256) is None:
            os.unlink(tmp)
            return False
        self._commit_tmp(tmp, sha256)
        return True

    def _write_tmp(self, chunks: list[bytes]) -> Path:
        self._ensure_dir(self._tmp)
        import tempfile  # here: a command that only reads (search, trace) never imports it

        fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        return Path(tmp_name)

    def _commit_tmp(self, tmp: Path, sha256: str) -> None:
        final = self.path_for(sha256)
        self._ensure_dir(final.parent)
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)

    def delete(self, sha256: str) -> bool:
        """Remove a blob (only a purge does this); False when it was not there."""
        try:
            self.path_for(sha256).unlink()
            return True
        except FileNotFoundError:
            return False

    def verify(self, sha256: str) -> str | None:
        """None when the blob is present and hashes to its name, else the reason."""
        path = self.path_for(sha256)
        if not path.is_file():
            return f"stored original {path} is missing"
        actual = sha256_file(path)
        if actual != sha256:
            return f"stored original {path} has been altered: its SHA-256 is now {actual}"
        return None

    def clean_tmp(self, older_than: float = 0.0) -> int:
        """Remove temporaries left by a killed run (older than `older_than` seconds); returns how many."""
        if not self._tmp.is_dir():
            return 0
        removed, now = 0, time.time()
        for leftover in self._tmp.iterdir():
            try:
                if now - leftover.stat().st_mtime >= older_than:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
