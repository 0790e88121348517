"""Making previews, as tasks for the extraction workers (`dms.ingest.pool`): at ingest, what every page
needs at once (`at_ingest`: a thumbnail; page images of scans; the HTML of office files and e-mail); later,
in the web server's preview queue, what a person asks for (`PreviewTask`: a PDF page image, word boxes, or
whatever ingest did not make). A failure is kept as a marker with its reason and never stops an ingest.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from dms.preview import html, images, words
from dms.preview.cache import PreviewDir, preview_dir
from dms.preview.images import PreviewFailed
from dms.preview.spec import PreviewSpec

WORDS_TIMEOUT = 60.0  # seconds Tesseract may spend finding the words of one page


def makes_previews(kind: str | None) -> bool:
    return kind in images.RENDERED_KINDS or kind in html.HTML_KINDS


def _make(spec: PreviewSpec, d: PreviewDir, blob: Path, kind: str, what: str) -> None:
    """Make one preview (thumb, html, page-N, words-N) unless it is there or failed before."""
    target = {"thumb": d.thumb, "html": d.html}.get(what)
    n = int(what.split("-")[1]) if what.startswith(("page-", "words-")) else 0
    if target is None:
        target = d.page(n) if what.startswith("page-") else d.words(n)
    if target.exists() or d.failed(what).exists():
        return
    try:
        if n > spec.max_pages:
            raise PreviewFailed(f"only the first {spec.max_pages} page(s) are previewed (DMS_PREVIEW_MAX_PAGES)")
        if what == "thumb":
            data = images.thumbnail(blob, kind)
        elif what == "html":
            data = html.render(blob, kind, spec.html_max_bytes).encode("utf-8")
        elif what.startswith("page-"):
            data = images.png(images.page_image(blob, kind, n, images.PAGE_WIDTH, spec.max_pixels))
        else:
            data = _words(spec, blob, kind, n)
    except PreviewFailed as exc:
        d.note_failure(what, str(exc))
        return
    except MemoryError:
        d.note_failure(what, "it needed more memory than a worker may use (DMS_WORKER_MEMORY_MB)")
        return
    except Exception as exc:  # a third-party library failing on a file it half understands
        where = traceback.extract_tb(exc.__traceback__)[-1]
        d.note_failure(what, f"{type(exc).__name__}: {exc} (in {Path(where.filename).name}:{where.lineno})")
        return
    d.write(target, data)


def _words(spec: PreviewSpec, blob: Path, kind: str, n: int) -> bytes:
    if kind == "pdf":
        found = words.pdf_words(blob, n)
        if len(found) >= MIN_WORDS or spec.tesseract is None:
            return words.encode(found, "text")
    if spec.tesseract is None:
        raise PreviewFailed("Tesseract is not installed, so the words of a scanned page cannot be placed")
    return words.encode(words.ocr_words(blob, kind, n, spec.tesseract, spec.languages, WORDS_TIMEOUT,
                                        spec.max_pixels * 4), "ocr")


MIN_WORDS = words.MIN_TEXT_WORDS


def at_ingest(spec: PreviewSpec, blob: Path, kind: str, sha256: str) -> float:
    """What a document's page and a result list need, made in the worker that extracted the file. Never raises;
    returns the seconds spent."""
    started = time.monotonic()
    try:
        d = preview_dir(spec.root, sha256)
        if kind in images.RENDERED_KINDS:
            _make(spec, d, blob, kind, "thumb")
        if kind == "image":  # browsers cannot show a TIFF: the viewer shows these page images
            try:
                count = images.page_count(blob, kind)
            except PreviewFailed as exc:
                d.note_failure("page-1", str(exc))
                count = 0
            for n in range(1, min(count, spec.max_pages) + 1):
                _make(spec, d, blob, kind, f"page-{n}")
        if kind in html.HTML_KINDS:
            _make(spec, d, blob, kind, "html")
    except OSError:  # the cache cannot be written (disk full, permissions): the server makes them later
        pass
    return time.monotonic() - started


@dataclass(frozen=True, slots=True)
class PreviewResult:
    what: str
    seconds: float = 0.0
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class PreviewTask:
    """One preview made later, in a worker of the web server's preview queue (`dms.preview.queue`)."""

    spec: PreviewSpec
    blob: Path
    kind: str
    sha256: str
    what: str  # thumb | html | page-N | words-N | ingest (all that ingest makes)

    deadline = 120.0  # seconds, the pool's limit for this task

    def run(self, rules=None) -> PreviewResult:
        started = time.monotonic()
        if self.what == "ingest":
            at_ingest(self.spec, self.blob, self.kind, self.sha256)
        else:
            _make(self.spec, preview_dir(self.spec.root, self.sha256), self.blob, self.kind, self.what)
        return PreviewResult(self.what, time.monotonic() - started)

    def timed_out(self, seconds: float) -> PreviewResult:
        return self._failed(f"making it took longer than {seconds:g} s; the worker was stopped")

    def crashed(self, how: str) -> PreviewResult:
        return self._failed(f"the worker died while making it ({how})")

    def _failed(self, reason: str) -> PreviewResult:
        if self.what != "ingest":
            try:
                preview_dir(self.spec.root, self.sha256).note_failure(self.what, reason)
            except OSError:
                pass
        return PreviewResult(self.what, failure=reason)
