"""Paper in the sample archive: a signed contract scanned to an image-only PDF and a fax received as a
TIFF. Their words exist only as pixels, so the quick start shows OCR at work; the ground truth says what
each must yield."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PAGE = (1240, 1754)  # A4 at 150 dpi


def page_image(lines: list[str], size: tuple[int, int] = PAGE, font_size: int = 34) -> Image.Image:
    """A scanned page: black text on white, drawn with Pillow's built-in scalable font."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_size)
    for number, line in enumerate(lines):
        draw.text((110, 140 + number * int(font_size * 2.05)), line, font=font, fill=0)
    return image


def write_scanned_pdf(path: Path, pages: list[list[str]], day: datetime) -> None:
    """A PDF with no text layer, as a scanner makes: each page one full-page image."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(day)
    pdf.set_producer("Scanner")
    for lines in pages:
        pdf.add_page()
        buf = io.BytesIO()
        page_image(lines).save(buf, "PNG")
        pdf.image(buf, x=0, y=0, w=pdf.w, h=pdf.h)
    path.write_bytes(bytes(pdf.output()))


def write_fax(path: Path, pages: list[list[str]]) -> None:
    """A received fax: a bilevel TIFF with one page per sheet."""
    images = [page_image(lines).convert("1") for lines in pages]
    images[0].save(path, save_all=True, append_images=images[1:], dpi=(150, 150), compression="group4")


CONTRACT = [
    ["Signed copy of the Distribution Agreement CTR-2022-001",
     "Nordlicht Haushaltsgeraete GmbH and Brightwater Retail",
     "Product: kettle KX200 and its accessories",
     "",
     "Handwritten amendment agreed at signing:",
     "Returns of defective units are credited within 21 days,",
     "not 30 days as printed in clause 3.",
     "Initialled by both parties."],
    ["Signatures",
     "",
     "For Nordlicht Haushaltsgeraete GmbH: Andrea Berger",
     "For Brightwater Retail: James Doyle",
     "Signed in Hamburg on 18 February 2022"],
]
FAX = [
    ["FAX from Casa Nova Stores, purchasing department",
     "To: Nordlicht quality department",
     "Date: 2 June 2023",
     "Subject: vacuum cleaner VL310 returns",
     "",
     "Since the dust container change in CR-2023-003 our",
     "stores hear no more rattling noise and see fewer returns.",
     "The leaking thermostat of complaint CMP-2023-0005 was",
     "replaced for the customer. Please confirm in writing."],
]


def paper_files(out: Path) -> list[dict]:
    """Write the scans; return what OCR must find in each (words per page, identifiers cited)."""
    contract = out / "KX200" / "contracts" / "signed-agreement-scan_Brightwater_2022-02-18.pdf"
    contract.parent.mkdir(parents=True, exist_ok=True)
    write_scanned_pdf(contract, CONTRACT, datetime(2022, 2, 18, 12, 0, tzinfo=UTC))
    fax = out / "VL310" / "correspondence" / "fax-CasaNova-2023-06-02.tiff"
    fax.parent.mkdir(parents=True, exist_ok=True)
    write_fax(fax, FAX)
    return [
        {"path": "KX200/contracts/signed-agreement-scan_Brightwater_2022-02-18.pdf", "pages": 2, "products": ["KX200"],
         "cites": ["CTR-2022-001"], "words": {"1": ["credited within 21 days"], "2": ["Andrea Berger"]}},
        {"path": "VL310/correspondence/fax-CasaNova-2023-06-02.tiff", "pages": 1, "products": ["VL310"],
         "cites": ["CR-2023-003", "CMP-2023-0005"], "words": {"1": ["rattling noise"]}},
    ]
