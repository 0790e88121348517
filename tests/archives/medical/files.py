"""Writing the documents as real files, and the products their text names (checked against the truth)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

from .world import ALIAS, ALIASES, CODE, Doc


def _lines(doc: Doc) -> list[str]:
    out = []
    for block in doc.blocks:
        out += [" | ".join(map(str, row)) for row in block] if isinstance(block, list) else [block]
    return out


def _stamp(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 30, tzinfo=UTC)


def write(path: Path, doc: Doc) -> None:
    ext, created = path.suffix[1:], _stamp(doc.created or doc.day)
    if ext in ("txt", "md"):
        path.write_text("\n".join(_lines(doc)) + "\n", encoding="utf-8")
    elif ext == "pdf":
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_creation_date(created)
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        for line in _lines(doc):
            pdf.multi_cell(0, 5, text=line or " ", new_x="LMARGIN", new_y="NEXT")
        pdf.output(str(path))
    elif ext == "docx":
        import docx

        d = docx.Document()
        d.core_properties.created = d.core_properties.modified = created.replace(tzinfo=None)
        for i, block in enumerate(doc.blocks):
            if isinstance(block, list):
                table = d.add_table(rows=len(block), cols=len(block[0]))
                for r, row in enumerate(block):
                    for c, cell in enumerate(row):
                        table.cell(r, c).text = str(cell)
            elif i == 0:
                d.add_heading(block, level=1)
            else:
                d.add_paragraph(block)
        d.save(path)
    elif ext == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        wb.properties.created = wb.properties.modified = created.replace(tzinfo=None)
        for row in doc.blocks[0]:
            wb.active.append(row)
        wb.save(path)
    elif ext == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(doc.blocks[0])
    elif ext == "eml":
        msg = EmailMessage()
        for key, value in doc.mail.items():
            msg[key] = value
        msg.set_content("\n".join(doc.blocks) + "\n")
        path.write_bytes(msg.as_bytes())


def named_products(doc: Doc) -> set[str]:
    text = "\n".join(_lines(doc)) + ("\n" + doc.mail["Subject"] if doc.mail else "")
    return set(CODE.findall(text)) | {ALIASES[_canon(m)] for m in ALIAS.findall(text)}


def _canon(alias: str) -> str:
    return next(a for a in ALIASES if a.lower() == alias.lower())

