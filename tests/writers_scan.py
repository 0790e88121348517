"""Writers of real scanned and office files for the OCR and format tests: page images drawn with
Pillow (`dms.samplegen.scans.page_image`), saved as PNG, multi-page TIFF, image-only and mixed PDFs;
Outlook .msg written with extract-msg's own OLE writer, OpenDocument with odfpy, RTF by hand."""

from __future__ import annotations

import datetime
import io
import struct
from pathlib import Path

from dms.samplegen.scans import PAGE, page_image


def write_png(path: Path, lines: list[str]) -> Path:
    page_image(lines).save(path, dpi=(150, 150))
    return path


def write_tiff(path: Path, pages: list[list[str]], sizes: list[tuple[int, int]] | None = None) -> Path:
    images = [page_image(lines, size) for lines, size in zip(pages, sizes or [PAGE] * len(pages))]
    images[0].save(path, save_all=True, append_images=images[1:], dpi=(150, 150), compression="tiff_deflate")
    return path


def write_image_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with no text layer at all: every page is a picture of text (as a scanner makes)."""
    images = [page_image(lines).convert("RGB") for lines in pages]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150.0)
    return path


def write_mixed_pdf(path: Path, pages: list[tuple[str, list[str]]]) -> Path:
    """Pages given as ("text", lines) are born digital; ("scan", lines) are one full-page image."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_font("Helvetica", size=12)
    for kind, lines in pages:
        pdf.add_page()
        if kind == "text":
            for line in lines:
                pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
        else:
            buf = io.BytesIO()
            page_image(lines).save(buf, "PNG")
            pdf.image(buf, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.output(str(path))
    return path


# -- Outlook .msg -----------------------------------------------------------------------------------

def _filetime(day: datetime.date) -> int:
    moment = datetime.datetime(day.year, day.month, day.day, 9, 30, tzinfo=datetime.UTC)
    return int((moment - datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)).total_seconds() * 10**7)


def write_msg(path: Path, subject: str, body: str, *, sender=("Anna Lindqvist", "anna.lindqvist@helix.example"),
              to=("Marco Rossi", "marco.rossi@kettleco.example"), message_id: str | None = None,
              in_reply_to: str | None = None, date: datetime.date = datetime.date(2023, 3, 14),
              attachments: dict[str, bytes] | None = None, forwarded: tuple[str, str] | None = None) -> Path:
    """An Outlook message in the MS-OXMSG layout: properties as UTF-16 streams in an OLE2 file.
    `forwarded` (subject, body) attaches a whole message inside it, as Outlook does when forwarding."""
    from extract_msg.ole_writer import OleWriter

    w = OleWriter()

    def text(where: str, prop: str, value: str) -> None:
        w.addEntry(f"{where}__substg1.0_{prop}001F", value.encode("utf-16-le"))

    for prop, value in (("0037", subject), ("1000", body), ("0C1A", sender[0]), ("0C1F", sender[1]),
                        ("5D01", sender[1]), ("0E04", to[0]), ("001A", "IPM.Note"),
                        ("1035", message_id), ("1042", in_reply_to)):
        if value:
            text("", prop, value)
    when = _filetime(date)
    fixed = struct.pack("<IIQ", 0x00390040, 6, when) + struct.pack("<IIQ", 0x0E060040, 6, when)
    count = len(attachments or {}) + (1 if forwarded else 0)
    w.addEntry("__properties_version1.0", b"\0" * 8 + struct.pack("<IIII", 1, 1, count, 0) + b"\0" * 8 + fixed)
    w.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        w.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    recipient = "__recip_version1.0_#00000000/"
    w.addEntry(recipient[:-1], storage=True)
    text(recipient, "3001", to[0])
    text(recipient, "39FE", to[1])
    w.addEntry(recipient + "__properties_version1.0", b"\0" * 8 + struct.pack("<IIQ", 0x0C150003, 6, 1))
    for number, (name, data) in enumerate((attachments or {}).items()):
        where = f"__attach_version1.0_#{number:08X}/"
        w.addEntry(where[:-1], storage=True)
        text(where, "3707", name)
        text(where, "3704", name)
        w.addEntry(where + "__substg1.0_37010102", data)
        w.addEntry(where + "__properties_version1.0", b"\0" * 8 + struct.pack("<IIQ", 0x37050003, 6, 1))
    if forwarded:  # attach method 5: an embedded message, its properties in a storage of its own
        where = f"__attach_version1.0_#{len(attachments or {}):08X}/"
        w.addEntry(where[:-1], storage=True)
        text(where, "3001", forwarded[0])
        w.addEntry(where + "__properties_version1.0", b"\0" * 8 + struct.pack("<IIQ", 0x37050003, 6, 5))
        inner = where + "__substg1.0_3701000D/"
        w.addEntry(inner[:-1], storage=True)
        for prop, value in (("0037", forwarded[0]), ("1000", forwarded[1]), ("001A", "IPM.Note")):
            text(inner, prop, value)
        w.addEntry(inner + "__properties_version1.0", b"\0" * 24)
    w.write(str(path))
    return path


# -- OpenDocument and RTF ---------------------------------------------------------------------------

def write_odt(path: Path, title: str, pages: list[list[str]], table: list[list[str]] | None = None) -> Path:
    """Paragraphs per page, with the soft page breaks LibreOffice records between pages."""
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P, SoftPageBreak

    doc = OpenDocumentText()
    from odf import dc

    doc.meta.addElement(dc.Title(text=title))
    doc.meta.addElement(dc.Creator(text="Anna Lindqvist"))
    doc.text.addElement(H(outlinelevel=1, text=title))
    for number, lines in enumerate(pages):
        if number:
            doc.text.addElement(SoftPageBreak())
        for line in lines:
            doc.text.addElement(P(text=line))
    if table:
        t = Table(name="Table1")
        t.addElement(TableColumn(numbercolumnsrepeated=len(table[0])))
        for row in table:
            tr = TableRow()
            for value in row:
                cell = TableCell()
                cell.addElement(P(text=value))
                tr.addElement(cell)
            t.addElement(tr)
        doc.text.addElement(t)
    doc.save(str(path))
    return path


def write_ods(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        t = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            t.addElement(tr)
        doc.spreadsheet.addElement(t)
    doc.save(str(path))
    return path


def write_rtf(path: Path, title: str, paragraphs: list[str]) -> Path:
    """RTF as Word writes it: an {\\info} group, cp1252 with \\'xx escapes for accented letters."""
    def escape(text: str) -> str:
        return "".join(ch if ord(ch) < 128 else f"\\'{ch.encode('cp1252')[0]:02x}" for ch in text)

    body = "".join(f"\\pard {escape(p)}\\par\n" for p in paragraphs)
    path.write_bytes((
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
        f"{{\\info{{\\title {escape(title)}}}{{\\author Marco Rossi}}{{\\creatim\\yr2023\\mo5\\dy2\\hr10\\min4}}}}\n"
        f"\\f0\\fs24 {body}}}\n").encode("ascii"))
    return path
