"""Thumbnails and page images: PDF pages rendered with PDFium, frames of PNG/JPEG/TIFF files with Pillow.

Everything here runs in a worker process (ingest, or the web server's preview queue), never in a request.
Raises `PreviewFailed` with the reason when a page cannot be drawn.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium  # imported with the worker module, so the workers' fork server loads it once
from PIL import Image, ImageOps, UnidentifiedImageError

THUMB_WIDTH = 160  # px: a thumbnail in a result list or beside a document's metadata
PAGE_WIDTH = 1240  # px: a page image in the viewer (an A4 page at 150 dpi), smaller when over the pixel bound
MAX_SOURCE_PIXELS = 400_000_000  # a scan larger than this is not decoded at all (a decompression bomb)
RENDERED_KINDS = frozenset({"pdf", "image"})


class PreviewFailed(Exception):
    """A preview could not be made; the message says why."""


def _grey_if_grey(image: Image.Image) -> Image.Image:
    """A page with no colour on it (most are) as greyscale: a third of the bytes to compress, same look."""
    if image.mode == "RGB":
        saturation = image.convert("HSV").getchannel("S").getextrema()[1]
        if saturation <= 12:
            return image.convert("L")
    return image


def png(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "L", "RGBA", "LA", "P"):
        image = image.convert("RGB")
    image = _grey_if_grey(image)
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=3)  # fast; a page image of text compresses well anyway
    return buf.getvalue()


def page_count(blob: Path, kind: str) -> int:
    if kind == "pdf":
        with _pdf(blob) as pdf:
            return len(pdf)
    with _image(blob) as image:
        return getattr(image, "n_frames", 1)


def page_image(blob: Path, kind: str, n: int, width: int, max_pixels: int) -> Image.Image:
    """Page n (from 1) about `width` px wide, and never over `max_pixels`."""
    if kind == "pdf":
        return _pdf_page(blob, n, width, max_pixels)
    if kind == "image":
        return _image_frame(blob, n, width, max_pixels)
    raise PreviewFailed(f"pages of {kind} files are not drawn")


class _pdf:
    def __init__(self, blob: Path):
        try:
            self.pdf = pdfium.PdfDocument(blob)
        except pdfium.PdfiumError as exc:
            raise PreviewFailed(f"the PDF could not be opened: {exc}") from None

    def __enter__(self):
        return self.pdf

    def __exit__(self, *exc) -> None:
        self.pdf.close()


def _pdf_page(blob: Path, n: int, width: int, max_pixels: int) -> Image.Image:
    with _pdf(blob) as pdf:
        if not 1 <= n <= len(pdf):
            raise PreviewFailed(f"the PDF has no page {n}")
        page = pdf[n - 1]
        try:
            w, h = page.get_size()  # points
            scale = min(width / max(w, 1), (max_pixels / max(w * h, 1)) ** 0.5)
            return page.render(scale=scale, rev_byteorder=True).to_pil()  # RGB as PIL wants it: no copy
        except pdfium.PdfiumError as exc:
            raise PreviewFailed(f"page {n} could not be rendered: {exc}") from None
        finally:
            page.close()


class _image:
    def __init__(self, blob: Path):
        Image.MAX_IMAGE_PIXELS = None  # the bound is ours, checked below with a clearer message
        try:
            self.image = Image.open(blob)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise PreviewFailed(f"the image could not be read: {exc}") from None
        if self.image.width * self.image.height > MAX_SOURCE_PIXELS:
            self.image.close()
            raise PreviewFailed(f"the image is {self.image.width:,} x {self.image.height:,} pixels: too large to draw")

    def __enter__(self):
        return self.image

    def __exit__(self, *exc) -> None:
        self.image.close()


def _image_frame(blob: Path, n: int, width: int, max_pixels: int) -> Image.Image:
    with _image(blob) as image:
        try:
            if not 1 <= n <= getattr(image, "n_frames", 1):
                raise PreviewFailed(f"the image has no page {n}")
            image.seek(n - 1)
            w, h = image.size
            scale = min(1.0, width / max(w, 1), (max_pixels / max(w * h, 1)) ** 0.5)
            target = (max(1, int(w * scale)), max(1, int(h * scale)))
            image.draft(None, target)  # JPEG: decode at a reduced size straight away
            frame = ImageOps.exif_transpose(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
            frame.thumbnail(target if frame.size == image.size else (target[1], target[0]), Image.Resampling.LANCZOS)
            return frame
        except (OSError, EOFError, ValueError, SyntaxError) as exc:
            raise PreviewFailed(f"page {n} of the image could not be read: {exc}") from None


def thumbnail(blob: Path, kind: str) -> bytes:
    """Page 1, THUMB_WIDTH px wide (a page much taller than wide is cut at twice its width)."""
    image = page_image(blob, kind, 1, THUMB_WIDTH, THUMB_WIDTH * THUMB_WIDTH * 4)
    if image.height > 2 * image.width:
        image = image.crop((0, 0, image.width, 2 * image.width))
    return png(image)
