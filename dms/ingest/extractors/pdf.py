"""PDF via pypdf: text per page (so hits can cite pages) and the embedded metadata."""

from __future__ import annotations

import logging
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
            pages, warnings = [], []
            for number, page in enumerate(reader.pages, start=1):
                try:
                    pages.append(page.extract_text() or "")
                except (FileNotDecryptedError, PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
                    pages.append("")
                    warnings.append(Problem("malformed", f"page {number} could not be read: {exc}", "warning"))
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
        return Raw(pages=pages, title=meta.pop("title", None), meta=meta, warnings=warnings)


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
