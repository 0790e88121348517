"""Where each word of a page is, as boxes in fractions of the page (0-1, from the top left), so hits can be
drawn over a page image or a PDF.js canvas of any size. From the PDF text layer (PDFium's character boxes)
where there is one, else from Tesseract's word boxes (TSV) on the page image. Made in a worker process and
kept in the preview cache as `words-NNNN.json`; a request only reads them (`hits`).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

from dms.preview.images import PreviewFailed, page_image

OCR_WIDTH = 2480  # px: a page read for word boxes at about 300 dpi (A4), as OCR reads it
MIN_TEXT_WORDS = 3  # a PDF page with fewer words in its text layer is read as a scan


def pdf_words(blob: Path, n: int) -> list[list]:
    """[[word, x0, y0, x1, y1], ...] of PDF page n from its text layer (empty for a scanned page)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(blob)
    except pdfium.PdfiumError as exc:
        raise PreviewFailed(f"the PDF could not be opened: {exc}") from None
    try:
        if not 1 <= n <= len(pdf):
            raise PreviewFailed(f"the PDF has no page {n}")
        page = pdf[n - 1]
        left, bottom, right, top = page.get_bbox()
        width, height = max(right - left, 1e-6), max(top - bottom, 1e-6)
        textpage = page.get_textpage()
        words: list[list] = []
        chars: list[str] = []
        box: list[float] | None = None
        for i in range(textpage.count_chars()):
            ch = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 32)
            if ch.isalnum() or ch == "_":
                x0, y0, x1, y1 = textpage.get_charbox(i)
                box = [x0, y0, x1, y1] if box is None else [min(box[0], x0), min(box[1], y0), max(box[2], x1),
                                                            max(box[3], y1)]
                chars.append(ch)
                continue
            if chars and box is not None:
                words.append(_normal("".join(chars), box, left, top, width, height))
            chars, box = [], None
        if chars and box is not None:
            words.append(_normal("".join(chars), box, left, top, width, height))
        textpage.close()
        page.close()
        return words
    except pdfium.PdfiumError as exc:
        raise PreviewFailed(f"the text of page {n} could not be read: {exc}") from None
    finally:
        pdf.close()


def _normal(word: str, box: list[float], left: float, top: float, width: float, height: float) -> list:
    x0, y0, x1, y1 = box  # PDF space: y grows upwards
    return [word, round((x0 - left) / width, 5), round((top - y1) / height, 5), round((x1 - left) / width, 5),
            round((top - y0) / height, 5)]


def ocr_words(blob: Path, kind: str, n: int, program: str, languages: str, timeout: float,
              max_pixels: int) -> list[list]:
    """Word boxes from Tesseract's TSV of the page image (the page as OCR reads it)."""
    image = page_image(blob, kind, n, OCR_WIDTH, max_pixels)
    buf = io.BytesIO()
    image.convert("L").save(buf, "PPM")
    try:
        done = subprocess.run([program, "stdin", "stdout", "-l", languages, "tsv"], input=buf.getvalue(),
                              capture_output=True, timeout=timeout, check=False,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except subprocess.TimeoutExpired:
        raise PreviewFailed(f"reading the word positions took longer than {timeout:g} s") from None
    except OSError as exc:
        raise PreviewFailed(f"Tesseract could not be started: {exc}") from None
    if done.returncode != 0:
        raise PreviewFailed(f"Tesseract failed (exit {done.returncode})")
    return parse_tsv(done.stdout.decode("utf-8", "replace"), image.width, image.height)


def parse_tsv(tsv: str, width: int, height: int) -> list[list]:
    words = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        x, y, w, h = (int(c) for c in cols[6:10])
        words.append([cols[11].strip(), round(x / width, 5), round(y / height, 5), round((x + w) / width, 5),
                      round((y + h) / height, 5)])
    return words


def encode(words: list[list], source: str) -> bytes:
    return json.dumps({"source": source, "words": words}, separators=(",", ":")).encode("utf-8")


def hits(saved: dict, matcher, query: str) -> list[list[float]]:
    """Boxes of the words of a page that the query's hits mark, as the document's text view marks them."""
    from dms.index import highlight_pages

    words = saved.get("words", [])
    if not words or not query.strip():
        return []
    # One word a line: the text view's own marking decides (stems, phrases, identifiers alike).
    marked, _count = highlight_pages(matcher, ("\n".join(w[0].replace("\n", " ") for w in words),), query)[0]
    return [w[1:5] for w, line in zip(words, marked.split("\n")) if "<mark>" in line]
