"""PDF via pypdf: text per page (so hits can cite pages) and the embedded metadata."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from dms.ingest.registry import ExtractionFailed, Raw, register
from dms.model import Problem

logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfExtractor:
    name = "pypdf"
    kinds = frozenset({"pdf"})

    def extract(self, path: Path) -> Raw:
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
MIN_TEXT_CHARS = 40  # letters and digits below which a page carrying an image counts as a scan


def usable_text(text: str) -> bool:
    """Whether a page's text layer is worth having on its own (else a page with an image is OCRed)."""
    count = 0
    for ch in text:
        if ch.isalnum():
            count += 1
            if count >= MIN_TEXT_CHARS:
                return True
    return False


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
