"""One page of a stored original as an image for OCR: a PDF page rendered with PDFium, or a frame
of an image file (multi-page TIFF included), within a size limit."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from dms.ocr.engine import OcrFailed

PDF_DPI = 300  # Tesseract reads body text best at about 300 dpi
MIN_PDF_DPI = 100  # a page that only fits the size limit below this is refused
Image.MAX_IMAGE_PIXELS = None  # the limit is ours (max_pixels), with a clearer message than Pillow's


def page_image(blob: Path, kind: str, page_no: int, max_pixels: int) -> tuple[Image.Image, int]:
    """(the page as an image, its resolution in dpi). Raises OcrFailed with the reason."""
    if kind == "pdf":
        return _pdf_page(blob, page_no, max_pixels)
    if kind == "image":
        return _image_frame(blob, page_no, max_pixels)
    raise OcrFailed(f"pages of {kind} files are not OCRed")


def _megapixels(pixels: float) -> str:
    return f"{pixels / 1e6:,.1f} MP"


def _pdf_page(blob: Path, page_no: int, max_pixels: int) -> tuple[Image.Image, int]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(blob)
    except pdfium.PdfiumError as exc:
        raise OcrFailed(f"the PDF could not be opened for rendering: {exc}") from None
    try:
        if page_no > len(pdf):
            raise OcrFailed(f"the PDF has no page {page_no}")
        page = pdf[page_no - 1]
        width, height = page.get_size()  # points
        dpi = PDF_DPI
        pixels = (width * dpi / 72) * (height * dpi / 72)
        if pixels > max_pixels:
            dpi = int(PDF_DPI * (max_pixels / pixels) ** 0.5)
            if dpi < MIN_PDF_DPI:
                raise OcrFailed(
                    f"the page is {width / 72 * 25.4:,.0f} x {height / 72 * 25.4:,.0f} mm: even at {MIN_PDF_DPI} dpi "
                    f"it is over the {_megapixels(max_pixels)} OCR image limit (DMS_OCR_MAX_MEGAPIXELS)")
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        return image, dpi
    except pdfium.PdfiumError as exc:
        raise OcrFailed(f"the page could not be rendered: {exc}") from None
    finally:
        pdf.close()


def _image_frame(blob: Path, page_no: int, max_pixels: int) -> tuple[Image.Image, int]:
    try:
        image = Image.open(blob)
        if page_no > 1:
            image.seek(page_no - 1)
        pixels = image.width * image.height
        if pixels > max_pixels:
            raise OcrFailed(
                f"the image is {image.width:,} x {image.height:,} pixels ({_megapixels(pixels)}), over the "
                f"{_megapixels(max_pixels)} OCR image limit (DMS_OCR_MAX_MEGAPIXELS)")
        dpi = image.info.get("dpi", (0, 0))[0]
        image.load()
        image = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, EOFError, ValueError, SyntaxError) as exc:
        raise OcrFailed(f"the image could not be read: {exc}") from None
    try:
        dpi = int(round(float(dpi)))
    except (TypeError, ValueError):
        dpi = 0
    return image, dpi if 70 <= dpi <= 1200 else 300
