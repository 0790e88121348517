"""One page to recognise, as a task for the extraction workers, and what came of it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from dms.ocr.engine import OcrFailed, Recognised, recognise, rotation
from dms.ocr.render import page_image

DOUBTFUL = 60  # mean confidence below which a page may be sideways or upside down


def _upright(task: OcrTask, image, dpi: int, found: Recognised, left) -> Recognised:
    """A scan fed upside down or sideways reads as garbage: ask Tesseract which way is up, read the page
    turned that way, and keep the better reading."""
    turn = rotation(task.program, image, left(), dpi)
    if turn not in (90, 180, 270):
        return found
    try:
        again = recognise(task.program, image.rotate(-turn, expand=True), task.languages, left(), dpi, task.timeout)
    except OcrFailed:  # out of time for a second reading: the first one stands
        return found
    return again if (again.confidence or 0) > (found.confidence or 0) else found


@dataclass(frozen=True, slots=True)
class OcrResult:
    text: str = ""
    confidence: float | None = None
    failure: str | None = None  # why the page could not be recognised
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class OcrTask:
    blob: Path  # the stored original, read-only
    kind: str  # pdf | image
    page_no: int
    program: str  # the Tesseract executable
    languages: str
    timeout: float  # seconds for this page; the pool allows a little more for rendering
    max_pixels: int

    @property
    def deadline(self) -> float:
        return self.timeout + 30

    def run(self, rules=None) -> OcrResult:
        started = time.monotonic()
        left = lambda: self.timeout - (time.monotonic() - started)  # noqa: E731 - the page's time, shared by passes
        try:
            image, dpi = page_image(self.blob, self.kind, self.page_no, self.max_pixels)
            found = recognise(self.program, image, self.languages, left(), dpi, self.timeout)
            if found.confidence is None or found.confidence < DOUBTFUL:
                found = _upright(self, image, dpi, found, left)
        except OcrFailed as exc:
            return OcrResult(failure=str(exc), seconds=time.monotonic() - started)
        except MemoryError:
            return OcrResult(failure="the page image needed more memory than a worker may use (DMS_WORKER_MEMORY_MB)",
                             seconds=time.monotonic() - started)
        return OcrResult(found.text, found.confidence, seconds=time.monotonic() - started)

    def timed_out(self, seconds: float) -> OcrResult:
        return OcrResult(
            failure=f"rendering and OCR of the page took longer than {seconds:g} s; the worker was stopped")

    def crashed(self, how: str) -> OcrResult:
        return OcrResult(failure=f"the worker died while recognising the page ({how})")
