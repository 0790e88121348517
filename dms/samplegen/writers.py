"""Writing a logical Doc as a real file: PDF, DOCX, TXT, Markdown, HTML, EML, CSV, XLSX, PPTX.

Every writer is deterministic: fixed dates in embedded metadata and zip entries, fixed MIME boundaries.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from dms.samplegen.model import Doc

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _stamp(doc: Doc) -> datetime:
    return datetime(doc.date.year, doc.date.month, doc.date.day, 9, 0, tzinfo=UTC)


def _header_lines(doc: Doc) -> list[str]:
    lines = []
    if doc.number:
        lines.append(f"Document No.: {doc.number}")
    if doc.revision:
        lines.append(f"Revision: {doc.revision}")
    lines.append(f"Date: {doc.date.isoformat()}")
    if doc.products:
        lines.append("Product: " + ", ".join(doc.products))
    return lines


def _plain_lines(doc: Doc, markdown: bool = False) -> list[str]:
    lines = [("# " if markdown else "") + doc.title, ""] + _header_lines(doc) + [""]
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            lines += ["", ("## " if markdown else "") + block[1], ""]
        elif kind == "p":
            lines.append(block[1])
        elif kind == "table":
            rows = block[1]
            if markdown:
                lines.append("| " + " | ".join(map(str, rows[0])) + " |")
                lines.append("|" + "---|" * len(rows[0]))
                lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows[1:]]
            else:
                lines += ["  ".join(str(c).ljust(18) for c in r).rstrip() for r in rows]
        elif kind == "page":
            lines.append("\f" if not markdown else "")
    return lines


def write_txt(doc: Doc, path: Path, encoding: str = "utf-8") -> None:
    path.write_bytes("\n".join(_plain_lines(doc)).encode(encoding) + b"\n")


def write_md(doc: Doc, path: Path) -> None:
    path.write_text("\n".join(_plain_lines(doc, markdown=True)) + "\n", encoding="utf-8")


def write_html(doc: Doc, path: Path) -> None:
    e = html.escape
    out = [f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{e(doc.title)}</title>",
           "<style>body{font-family:sans-serif}</style>",
           "<script>window.analyticsId = 'nordlicht-intranet-tracker';</script></head><body>",
           f"<h1>{e(doc.title)}</h1>"]
    out += [f"<p>{e(line)}</p>" for line in _header_lines(doc)]
    for block in doc.blocks:
        if block[0] == "h":
            out.append(f"<h2>{e(block[1])}</h2>")
        elif block[0] == "p":
            out.append(f"<p>{e(block[1])}</p>")
        elif block[0] == "table":
            out.append("<table>" + "".join(
                "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in block[1]) + "</table>")
    out.append("</body></html>")
    path.write_text("\n".join(out), encoding="utf-8")


def pdf_bytes(doc: Doc) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(_stamp(doc))
    pdf.set_title(doc.title)
    pdf.set_author("Nordlicht Haushaltsgeräte GmbH")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in _header_lines(doc):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 7, block[1], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 10)
        elif kind == "p":
            pdf.multi_cell(0, 5, block[1], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "table":
            width = (pdf.w - pdf.l_margin - pdf.r_margin) / max(1, len(block[1][0]))
            for row in block[1]:
                for cell in row:
                    pdf.cell(width, 6, str(cell)[:40], border=1)
                pdf.ln(6)
            pdf.ln(2)
        elif kind == "page":
            pdf.add_page()
    return bytes(pdf.output())


def write_pdf(doc: Doc, path: Path) -> None:
    path.write_bytes(pdf_bytes(doc))


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite an OOXML package with fixed entry times, so the same content gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # some writers stamp 'modified' with the time of saving
                created = re.search(rb"<dcterms:created[^>]*>([^<]*)<", content)
                if created:
                    content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + created.group(1) + rb"\2",
                                     content)
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx_bytes(doc: Doc) -> bytes:
    import docx

    d = docx.Document()
    props = d.core_properties
    props.title, props.author = doc.title, "Nordlicht Haushaltsgeräte GmbH"
    props.created = props.modified = _stamp(doc).replace(tzinfo=None)
    props.last_printed = props.created
    props.revision = 1
    section = d.sections[0]
    section.header.paragraphs[0].text = "Nordlicht Haushaltsgeräte GmbH - " + (doc.number or doc.doc_type.title())
    section.footer.paragraphs[0].text = "Confidential - internal use"
    d.add_heading(doc.title, level=1)
    for line in _header_lines(doc):
        d.add_paragraph(line)
    for block in doc.blocks:
        if block[0] == "h":
            d.add_heading(block[1], level=2)
        elif block[0] == "p":
            d.add_paragraph(block[1])
        elif block[0] == "table":
            rows = block[1]
            table = d.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = str(value)
        elif block[0] == "page":
            d.add_page_break()
    buf = io.BytesIO()
    d.save(buf)
    return _normalize_zip(buf.getvalue())


def write_docx(doc: Doc, path: Path) -> None:
    path.write_bytes(docx_bytes(doc))


def write_csv(doc: Doc, path: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in doc.sheets[0][1]:
        writer.writerow(row)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_xlsx(doc: Doc, path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in doc.sheets:
        ws = wb.create_sheet(name[:31])
        for row in rows:
            ws.append(row)
    wb.properties.title = doc.title
    wb.properties.creator = "Nordlicht Haushaltsgeräte GmbH"
    wb.properties.created = wb.properties.modified = _stamp(doc).replace(tzinfo=None)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_normalize_zip(buf.getvalue()))


def write_pptx(doc: Doc, path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.title = doc.title
    deck.core_properties.author = "Nordlicht Haushaltsgeräte GmbH"
    deck.core_properties.created = deck.core_properties.modified = _stamp(doc).replace(tzinfo=None)
    deck.core_properties.last_printed = deck.core_properties.created
    deck.core_properties.revision = 1
    for block in doc.blocks:
        if block[0] != "slide":
            continue
        _, title, bullets, notes = block
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = bullets[0] if bullets else ""
        for bullet in bullets[1:]:
            body.add_paragraph().text = bullet
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    buf = io.BytesIO()
    deck.save(buf)
    path.write_bytes(_normalize_zip(buf.getvalue()))


def eml_bytes(doc: Doc) -> bytes:
    mail = doc.mail
    msg = EmailMessage()
    msg["From"] = mail["from"]
    msg["To"] = mail["to"]
    if mail.get("cc"):
        msg["Cc"] = mail["cc"]
    msg["Subject"] = mail["subject"]
    msg["Date"] = format_datetime(_stamp(doc))
    msg["Message-ID"] = mail["message_id"]
    if mail.get("in_reply_to"):
        msg["In-Reply-To"] = mail["in_reply_to"]
        msg["References"] = mail["in_reply_to"]
    body = "\n".join(b[1] for b in doc.blocks if b[0] == "p")
    msg.set_content(body + "\n")
    for att in doc.attachments:
        data = {"pdf": pdf_bytes, "docx": docx_bytes}[att.fmt](att)
        sub = {"pdf": "pdf", "docx": "vnd.openxmlformats-officedocument.wordprocessingml.document"}[att.fmt]
        msg.add_attachment(data, maintype="application", subtype=sub, filename=Path(att.rel).name)
    if msg.is_multipart():
        msg.set_boundary("==dms-sample-" + mail["message_id"].strip("<>").split("@")[0] + "==")
    return bytes(msg)


def write_eml(doc: Doc, path: Path) -> None:
    path.write_bytes(eml_bytes(doc))


WRITERS = {
    "pdf": write_pdf, "docx": write_docx, "txt": write_txt, "md": write_md, "html": write_html,
    "eml": write_eml, "csv": write_csv, "xlsx": write_xlsx, "pptx": write_pptx,
}
