"""DOCX via python-docx: body paragraphs and tables in order, headers and footers, core properties.

Only the parts read here are parsed (`text_parts_only`): styles, numbering, settings, theme and the like stay
unparsed bytes, which is most of python-docx's time on a typical document.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import Part, PartFactory
from docx.table import Table
from docx.text.paragraph import Paragraph

from dms.ingest.registry import ExtractionFailed, Raw, register

# the parts this extractor reads, parsed by their own python-docx classes; any other part is kept as bytes
READ_PARTS = frozenset({CT.WML_DOCUMENT_MAIN, CT.WML_HEADER, CT.WML_FOOTER, CT.OPC_CORE_PROPERTIES})
_OPENING = threading.Lock()


@contextmanager
def text_parts_only() -> Iterator[None]:
    """While a document is opened in this thread, parse only READ_PARTS.

    python-docx chooses a part's class through one global hook (`PartFactory.part_class_selector`); it is set
    only for the duration of the open, only takes effect in the opening thread, and is restored afterwards,
    so documents written elsewhere in the process (samples, fixtures) still get their styles part."""
    with _OPENING:
        previous = PartFactory.part_class_selector
        opener = threading.get_ident()

        def select(content_type: str, reltype: str) -> type[Part] | None:
            if content_type not in READ_PARTS and threading.get_ident() == opener:
                return Part
            return previous(content_type, reltype) if previous is not None else None

        PartFactory.part_class_selector = select
        try:
            yield
        finally:
            PartFactory.part_class_selector = previous


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
            with text_parts_only():
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
