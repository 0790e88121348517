"""What a worker needs to make previews: the bounds and places, passed in (workers read no settings).

A module of its own, without the renderers: an ingest task carries a PreviewSpec, and unpickling one in a worker
imports only this (the renderers, PDFium and Pillow among them, load when the first preview is made).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PreviewSpec:
    """The bounds and places a worker needs: passed in, as workers read no settings."""

    root: Path
    max_pages: int
    max_pixels: int
    html_max_bytes: int
    tesseract: str | None  # the program, for word boxes of scanned pages; None when not installed
    languages: str = "eng"


def spec_for(settings) -> PreviewSpec:
    from dms.ocr.engine import find
    from dms.preview.cache import root_of

    return PreviewSpec(root=root_of(settings.home), max_pages=settings.preview_max_pages,
                       max_pixels=int(settings.preview_max_megapixels * 1e6),
                       html_max_bytes=int(settings.preview_html_max_mb * 2**20),
                       tesseract=find(settings.tesseract), languages=settings.ocr_languages)
