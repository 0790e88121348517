"""Image files (PNG, JPEG, TIFF with any number of pages, GIF, BMP, WebP): every page is left for OCR."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from dms.ingest.registry import ExtractionFailed, Raw, register

Image.MAX_IMAGE_PIXELS = None  # the OCR step applies its own size limit, page by page, with a clear message
MAX_FRAMES = 2000
MIN_OCR_SIDE = 32  # pixels: icons, spacers and signature logos in e-mail hold no text worth reading


class ImageExtractor:
    name = "pillow"
    kinds = frozenset({"image"})

    def extract(self, path: Path) -> Raw:
        try:
            with Image.open(path) as image:
                frames = getattr(image, "n_frames", 1) if image.format in ("TIFF", "MPO") else 1
                meta = {"image": {"format": image.format, "width": image.width, "height": image.height,
                                  "pages": frames}}
                taken = _taken(image)
        except (UnidentifiedImageError, OSError, EOFError, ValueError, SyntaxError) as exc:
            raise ExtractionFailed("malformed", f"the image cannot be read: {exc}") from None
        if taken:
            meta["created"] = taken
        frames = min(frames, MAX_FRAMES)
        image_meta = meta["image"]
        if min(image_meta["width"], image_meta["height"]) < MIN_OCR_SIDE:
            meta["ocr"] = f"not OCRed: {image_meta['width']} x {image_meta['height']} pixels is too small to hold text"
            return Raw(pages=[""] * frames, meta=meta)
        return Raw(pages=[""] * frames, meta=meta, ocr_pages=list(range(1, frames + 1)))


def _taken(image: Image.Image) -> str | None:
    """The date a camera or scanner wrote into EXIF (DateTimeOriginal, else DateTime), as an ISO date."""
    try:
        exif = image.getexif()
        value = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if isinstance(value, str) and len(value) >= 10 and value[4] == ":" and value[7] == ":":
        return value[:10].replace(":", "-")
    return None


register(ImageExtractor())
