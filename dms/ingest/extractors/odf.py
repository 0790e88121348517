"""OpenDocument text (.odt) and spreadsheets (.ods) via odfpy.

Text keeps the document's order (headings, paragraphs, lists, tables as "a | b" rows) and starts a
new page at each page break LibreOffice recorded, so hits can cite pages. Spreadsheets give one page
per sheet, like XLSX.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.parsers.expat import ExpatError

from dms.ingest.extractors.sheet import sheet_page
from dms.ingest.registry import ExtractionFailed, Raw, register

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


class OdfExtractor:
    name = "odfpy"
    kinds = frozenset({"odt", "ods"})

    def extract(self, path: Path) -> Raw:
        from odf.opendocument import load

        try:
            doc = load(str(path))
        except (zipfile.BadZipFile, KeyError, ValueError, ExpatError, OSError, AttributeError, IndexError) as exc:
            raise ExtractionFailed("malformed", f"OpenDocument file is damaged and cannot be read: {exc}") from None
        spreadsheet = doc.mimetype.endswith("spreadsheet")
        pages = _sheets(doc.spreadsheet) if spreadsheet else _text_pages(doc.text)
        meta, title = _meta(doc)
        return Raw(pages=pages or [""], title=title, meta=meta)


def _plain(node) -> str:
    from odf import teletype

    return teletype.extractText(node).strip()


def _text_pages(body) -> list[str]:
    pages: list[list[str]] = [[]]

    def walk(node) -> None:
        for child in node.childNodes:
            qname = getattr(child, "qname", None)
            if qname is None:
                continue
            if qname == (_TEXT_NS, "soft-page-break") and pages[-1]:
                pages.append([])
            elif qname in ((_TEXT_NS, "p"), (_TEXT_NS, "h")):
                for inner in child.childNodes:  # a break inside a paragraph starts the page before it
                    if getattr(inner, "qname", None) == (_TEXT_NS, "soft-page-break") and pages[-1]:
                        pages.append([])
                        break
                line = _plain(child)
                if line:
                    pages[-1].append(line)
            elif qname == (_TABLE_NS, "table-row"):
                cells = [_plain(c) for c in child.childNodes if getattr(c, "qname", None) == (_TABLE_NS, "table-cell")]
                if any(cells):
                    pages[-1].append(" | ".join(cells).rstrip(" |"))
            else:
                walk(child)

    walk(body)
    return ["\n".join(lines) for lines in pages]


def _sheets(body) -> list[str]:
    from odf.table import Table, TableCell, TableRow

    pages, cells = [], 0
    for sheet in body.getElementsByType(Table):
        rows = ([_plain(c) for c in row.getElementsByType(TableCell)] for row in sheet.getElementsByType(TableRow))
        page, cells = sheet_page(sheet.getAttribute("name"), rows, cells)
        pages.append(page)
    return pages


def _meta(doc) -> tuple[dict, str | None]:
    from odf import dc
    from odf import meta as odfmeta

    def first(kind) -> str | None:
        found = doc.meta.getElementsByType(kind)
        return _plain(found[0]) or None if found else None

    meta = {}
    author = first(dc.Creator) or first(odfmeta.InitialCreator)
    if author:
        meta["author"] = author
    created = first(odfmeta.CreationDate)
    if created and len(created) >= 10:
        meta["created"] = created[:10]
    return meta, first(dc.Title)


register(OdfExtractor())
