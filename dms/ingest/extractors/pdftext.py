"""The text layer of PDF pages as PDFium (pypdfium2) reads it, written as pypdf writes it.

PDFium ends lines with "\\r\\n" and marks a hyphen it joined across a line end with U+FFFE; pypdf, which read
dms's PDFs before, writes "\\n" and "-\\n". Pages here come out the pypdf way, so snippets, reference
offsets and the words indexed stay as they were. Every document, page and text page is closed when read
(PDFium holds them outside Python's memory accounting).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

FORM_DEPTH = 2  # form XObjects looked into for an image, as dms.ingest.extractors.pdf._has_image does
PdfiumError = pdfium.PdfiumError  # what reading a page raises when PDFium cannot


@contextmanager
def opened(path: Path) -> Iterator[pdfium.PdfDocument | None]:
    """The document, closed on leaving; None when PDFium cannot open it (a password, or too damaged for it)."""
    try:
        document = pdfium.PdfDocument(Path(path))
    except pdfium.PdfiumError:
        document = None
    if document is None:
        yield None
        return
    try:
        yield document
    finally:
        document.close()


def page_text(document: pdfium.PdfDocument, index: int) -> str:
    """Page `index` (from 0) as text, lines ended by "\\n". Raises PdfiumError when PDFium cannot read it."""
    page = textpage = None
    try:
        page = document[index]
        textpage = page.get_textpage()
        return normal(textpage.get_text_range())
    finally:
        if textpage is not None:
            textpage.close()
        if page is not None:
            page.close()


def normal(text: str) -> str:
    """PDFium's line ends and joined hyphens the way pypdf writes them."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "-\n")


def draws_image(document: pdfium.PdfDocument, index: int) -> bool:
    """Whether page `index` draws an image (directly, inline or inside a form); False when unreadable."""
    page = None
    try:
        page = document[index]
        images = page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=FORM_DEPTH)
        return next(images, None) is not None
    except pdfium.PdfiumError:
        return False
    finally:
        if page is not None:
            page.close()
