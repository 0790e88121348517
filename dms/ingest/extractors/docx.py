"""DOCX via python-docx: body paragraphs and tables in order, headers and footers, core properties."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from dms.ingest.registry import ExtractionFailed, Raw, register


def _table_text(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.strip())
        lines.append(" | ".join(cells))
    return lines


class DocxExtractor:
    name = "python-docx"
    kinds = frozenset({"docx"})

    def extract(self, path: Path) -> Raw:
        try:
            document = docx.Document(str(path))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ExtractionFailed("malformed", f"DOCX is damaged and cannot be read: {exc}") from None
        except Exception as exc:  # lxml raises its own syntax errors for broken XML parts
            raise ExtractionFailed("malformed", f"DOCX is damaged and cannot be read: {exc}") from None
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                lines.extend(_table_text(block))
        margins: list[str] = []
        for section in document.sections:
            for part in (section.header, section.footer):
                if part.is_linked_to_previous:
                    continue
                text = "\n".join(p.text for p in part.paragraphs if p.text.strip())
                if text and text not in margins:
                    margins.append(text)
        body = "\n".join(lines)
        if margins:
            body = "\n".join(margins) + "\n" + body
        props = document.core_properties
        meta = {k: v for k, v in (("author", props.author), ("subject", props.subject)) if v}
        if props.created:
            meta["created"] = props.created.date().isoformat()
        return Raw(pages=[body], title=(props.title or "").strip() or None, meta=meta)


register(DocxExtractor())
