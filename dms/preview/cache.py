"""Where previews live: `$DMS_HOME/previews/<sha[:2]>/<sha>/`, named by the original's SHA-256, so that
the same bytes ingested again (or under another name) find their previews made already.

Per original: `thumb.png` (page 1, small), `page-0001.png`… (page images for the viewer), `words-0001.json`…
(word boxes of a page, for hits), `view.html` (an HTML render of an office file or e-mail, sanitised), and
`failed-<what>` markers saying why something could not be made (so it is not tried again and again; after
FAILURE_KEPT it is).
Files are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

VERSION = "v1"  # bump when the renderings change, so old ones are made again
FAILURE_KEPT = 6 * 3600.0  # seconds a failure is remembered before it is tried again
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class PreviewDir:
    """The previews of one original."""

    path: Path

    @property
    def thumb(self) -> Path:
        return self.path / "thumb.png"

    def page(self, n: int) -> Path:
        return self.path / f"page-{n:04d}.png"

    def words(self, n: int) -> Path:
        return self.path / f"words-{n:04d}.json"

    @property
    def html(self) -> Path:
        return self.path / "view.html"

    def failed(self, what: str) -> Path:
        return self.path / f"failed-{what}"

    def failure(self, what: str) -> str | None:
        """Why `what` (thumb, html, page-N, words-N) could not be made, or None. A failure is remembered for
        FAILURE_KEPT seconds, then tried again: a timeout on a busy machine or a missing Tesseract since
        installed does not leave a placeholder for good."""
        marker = self.failed(what)
        try:
            if time.time() - marker.stat().st_mtime > FAILURE_KEPT:
                marker.unlink(missing_ok=True)
                return None
            return marker.read_text(encoding="utf-8")
        except OSError:
            return None

    def write(self, target: Path, data: bytes) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def note_failure(self, what: str, reason: str) -> None:
        self.write(self.failed(what), reason.encode("utf-8"))


def root_of(home: Path) -> Path:
    return home / "previews" / VERSION


def preview_dir(root: Path, sha256: str) -> PreviewDir:
    """Only a full lowercase hex SHA-256 names a directory, so no name can lead out of the cache."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"{sha256!r} is not a SHA-256")
    return PreviewDir(root / sha256[:2] / sha256)


def forget(home: Path, sha256: str) -> None:
    """Delete every preview of an original (page images, word boxes and HTML hold its content): on purge."""
    import shutil

    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"{sha256!r} is not a SHA-256")
    for version in (home / "previews").glob("*"):
        shutil.rmtree(version / sha256[:2] / sha256, ignore_errors=True)
