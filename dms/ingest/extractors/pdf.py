"""PDF: text per page (so hits can cite pages) from PDFium's text layer, pypdf where it serves, and the
embedded metadata.

PDFium (pypdfium2, dms.ingest.extractors.pdftext) reads the text layer about four times as fast as pypdf, to
the same words on born-digital pages (bench/pdf_text_parity.py). pypdf stays for what it does better:
- a file PDFium cannot open (password-protected, or damaged beyond PDFium's repair: pypdf's lenient
  reader rebuilds more broken cross-reference tables) is read by pypdf alone, as before this change, with
  the same problems reported (encrypted, malformed);
- the metadata (title, author, subject, creation date), decoded as before;
- a page PDFium cannot read, or whose text looks short (fewer than MIN_TEXT_CHARS letters or digits, or
  mostly other characters): pypdf reads that page too, and its text is kept when PDFium's has under
  FALLBACK_SHARE of pypdf's letters or only pypdf's is usable. So pypdf's extra cost is paid on short pages
  only (scans, covers, blank pages), never on a page PDFium reads well;
- whether a page without usable text draws an image, which sends it to OCR (`_has_image`, as before).

A page is marked for OCR exactly when it was before: its text (the better of the two readings) is not
usable and it draws an image. Only a page whose text layer PDFium reads and pypdf does not is no longer
OCRed. Pages are numbered as PDFium numbers them, as the OCR renderer and the viewer do.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from dms.ingest.extractors import pdftext
from dms.ingest.registry import ExtractionFailed, Raw, register
from dms.model import Problem

logging.getLogger("pypdf").setLevel(logging.ERROR)

MIN_TEXT_CHARS = 40  # letters and digits below which a page carrying an image counts as a scan
MIN_LETTER_SHARE = 0.5  # a page whose visible characters are mostly not letters or digits looks misread
FALLBACK_SHARE = 0.5  # pypdf's page is kept when PDFium's has fewer letters than this share of pypdf's
_PAGE_ERRORS = (FileNotDecryptedError, PdfReadError, PyPdfError, ValueError, KeyError, TypeError)
# what pypdf raises on a damaged file, beyond its own errors; on a file PDFium read, pypdf's part is then left out
_PYPDF_ERRORS = (*_PAGE_ERRORS, DependencyError, NotImplementedError, AttributeError, IndexError, RecursionError)


class PdfExtractor:
    name = "pypdf"  # catalogued with each version; kept so that versions read before and after PDFium compare
    kinds = frozenset({"pdf"})

    def extract(self, path: Path) -> Raw:
        with pdftext.opened(path) as document:
            return pypdf_only(path) if document is None else _read(document, _Second(path))


def _read(document, second: _Second) -> Raw:
    pages, warnings, scanned = [], [], []
    for index in range(len(document)):
        number = index + 1
        failure = None
        try:
            text: str | None = pdftext.page_text(document, index)
        except pdftext.PdfiumError as exc:
            text, failure = None, f"page {number} could not be read: {exc}"
        if text is None or looks_short(text):
            twin = second.page(index, len(document))
            text, failure = _second_look(text, twin, failure)
            if failure:
                warnings.append(Problem("malformed", failure, "warning"))
            if not usable_text(text) and (_draws_image(twin) if twin is not None
                                          else pdftext.draws_image(document, index)):
                scanned.append(number)
        pages.append(text)
    meta = second.metadata()
    return Raw(pages=pages, title=meta.pop("title", None), meta=meta, warnings=warnings, ocr_pages=scanned)


class _Second:
    """pypdf's reading of a file PDFium opened, made when first needed: its metadata, and its pages when it sees
    as many as PDFium (so that a second reading of page n is of the same page). Never raises."""

    def __init__(self, path: Path):
        self.path = path
        self._reader: PdfReader | None | bool = False  # False: not opened yet
        self._pages: list | None | bool = False

    def reader(self) -> PdfReader | None:
        if self._reader is False:
            try:
                reader = PdfReader(self.path, strict=False)
                if reader.is_encrypted and not reader.decrypt(""):
                    reader = None  # a password PDFium had no need of: nothing more to learn here
            except _PYPDF_ERRORS:
                reader = None
            self._reader = reader
        return self._reader

    def page(self, index: int, count: int):
        if self._pages is False:
            self._pages = None
            if (reader := self.reader()) is not None:
                try:
                    pages = list(reader.pages)
                except _PYPDF_ERRORS:
                    pages = []
                self._pages = pages if len(pages) == count else None
        return self._pages[index] if self._pages else None

    def metadata(self) -> dict:
        reader = self.reader()
        try:
            return _metadata(reader) if reader is not None else {}
        except _PYPDF_ERRORS:
            return {}


def _second_look(text: str | None, twin, failure: str | None) -> tuple[str, str | None]:
    """(the page's text, a warning or None) once pypdf has read a page whose PDFium text is short or missing."""
    if twin is None:
        return text or "", failure
    try:
        theirs = twin.extract_text() or ""
    except _PYPDF_ERRORS as exc:
        return text or "", failure and f"{failure}; pypdf: {exc}"
    if text is None or prefer_second(text, theirs):
        return theirs, None
    return text, None


def _draws_image(twin) -> bool:
    try:
        return _has_image(twin)
    except _PYPDF_ERRORS:
        return False


def looks_short(text: str) -> bool:
    """Whether PDFium's text of a page is worth a second reading by pypdf: few letters, or mostly other marks."""
    letters = letter_count(text)
    if letters < MIN_TEXT_CHARS:
        return True
    return letters < MIN_LETTER_SHARE * (len(text) - text.count(" ") - text.count("\n"))


def prefer_second(first: str, second: str) -> bool:
    """Whether pypdf's reading of a page (`second`) replaces PDFium's (`first`): far more letters, or usable where
    PDFium's is not (so a page is OCRed exactly when pypdf found no usable text on it, as before)."""
    mine, theirs = letter_count(first), letter_count(second)
    return mine < FALLBACK_SHARE * theirs or (theirs >= MIN_TEXT_CHARS > mine)


def letter_count(text: str) -> int:
    return sum(map(str.isalnum, text))


def usable_text(text: str) -> bool:
    """Whether a page's text layer is worth having on its own (else a page with an image is OCRed)."""
    count = 0
    for ch in text:
        if ch.isalnum():
            count += 1
            if count >= MIN_TEXT_CHARS:
                return True
    return False


# -- pypdf: files PDFium cannot open, second readings of short pages, images, metadata ----------------------------

def pypdf_only(path: Path) -> Raw:
    """The whole file read by pypdf, as dms read every PDF before PDFium: now for files PDFium cannot open."""
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # owner-password-only PDFs open without a password
            except (NotImplementedError, PyPdfError, ValueError) as exc:
                raise ExtractionFailed("encrypted", f"PDF is encrypted and cannot be opened: {exc}") from None
            if not opened:
                raise ExtractionFailed(
                    "encrypted", "PDF is password-protected: its text cannot be read without the password"
                )
        pages, warnings, scanned = [], [], []
        for number, page in enumerate(reader.pages, start=1):
            try:
                pages.append(page.extract_text() or "")
            except (FileNotDecryptedError, PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
                pages.append("")
                warnings.append(Problem("malformed", f"page {number} could not be read: {exc}", "warning"))
            if not usable_text(pages[-1]) and _has_image(page):
                scanned.append(number)
        meta = _metadata(reader)
    except ExtractionFailed:
        raise
    except DependencyError as exc:  # AES encryption without the cryptography package
        raise ExtractionFailed("encrypted", f"PDF is encrypted and cannot be opened here: {exc}") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ExtractionFailed("malformed", f"PDF is damaged and cannot be read: {exc}") from None
    except RecursionError:
        raise ExtractionFailed(
            "malformed", "PDF structure is nested too deeply to read (recursive objects)") from None
    if not pages:
        raise ExtractionFailed("malformed", "PDF has no pages")
    return Raw(pages=pages, title=meta.pop("title", None), meta=meta, warnings=warnings, ocr_pages=scanned)


_INLINE_IMAGE = re.compile(rb"(?:^|\s)BI\s")


def _has_image(page, depth: int = 0) -> bool:
    """Whether the page draws an image: an image XObject, directly or inside a form, or an inline image."""
    try:
        resources = page["/Resources"] if depth == 0 else page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources else None
        for ref in (xobjects.get_object().values() if xobjects else ()):
            obj = ref.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image":
                return True
            if subtype == "/Form" and depth < 2 and _has_image(obj, depth + 1):
                return True
        if depth == 0:
            contents = page.get_contents()
            return contents is not None and _INLINE_IMAGE.search(contents.get_data()) is not None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return False


def _metadata(reader: PdfReader) -> dict:
    try:
        info = reader.metadata
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError):
        return {}
    if not info:
        return {}
    meta = {}
    for key, attr in (("title", "title"), ("author", "author"), ("subject", "subject")):
        try:
            value = getattr(info, attr)
        except (PyPdfError, ValueError, TypeError, KeyError):
            value = None
        if value and str(value).strip():
            meta[key] = str(value).strip()
    try:
        created = info.creation_date
    except (PyPdfError, ValueError, TypeError, KeyError):
        created = None
    if created:
        meta["created"] = created.date().isoformat()
    return meta


register(PdfExtractor())
