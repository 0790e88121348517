"""XLSX via openpyxl: the text of every cell, one page per sheet; a workbook without a title property is named
from its first rows (dms.ingest.extractors.tabletitle). (CSV is read as text.)"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from dms.ingest.extractors.tabletitle import title_from_rows
from dms.ingest.registry import ExtractionFailed, Raw, register
from dms.model import Problem

MAX_CELLS = 2_000_000
MAX_CELL_CHARS = 32_767  # Excel's own limit: a longer cell was not written by Excel, and is cut here


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sheet_page(name: str, rows: Iterable[list[str]], cells: int) -> tuple[str, int]:
    """One sheet as a page ("Sheet: NAME", then "a | b" per non-empty row), and the cells counted so far;
    past MAX_CELLS the whole file is refused, so one workbook cannot exhaust memory."""
    lines = [f"Sheet: {name}"]
    for values in rows:
        cells += len(values)
        if cells > MAX_CELLS:
            raise ExtractionFailed("limit", f"workbook has more than {MAX_CELLS:,} cells")
        if any(values):
            lines.append(" | ".join(values).rstrip(" |"))
    return "\n".join(lines), cells


class XlsxExtractor:
    name = "openpyxl"
    kinds = frozenset({"xlsx"})

    def extract(self, path: Path) -> Raw:
        # A file object: openpyxl judges a path by its extension, and stored originals have none.
        with open(path, "rb") as fh:
            return self._read(fh)

    def _read(self, fh) -> Raw:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
            raise ExtractionFailed("malformed", f"XLSX is damaged and cannot be read: {exc}") from None
        except Exception as exc:  # broken XML inside the package
            raise ExtractionFailed("malformed", f"XLSX is damaged and cannot be read: {exc}") from None
        pages, cells, long_cells, first_rows = [], 0, [], []
        try:
            for sheet in wb.worksheets:
                rows = (_cut([_cell(v) for v in row], sheet.title, long_cells)
                        for row in sheet.iter_rows(values_only=True))
                page, cells = sheet_page(sheet.title, _noting(rows, first_rows, not pages), cells)
                pages.append(page)
            props = wb.properties
            meta = {"sheets": [ws.title for ws in wb.worksheets]}
            if props.creator:
                meta["author"] = props.creator
            if props.created:
                meta["created"] = props.created.date().isoformat()
            # no title property: named from the first sheet's first rows, as a CSV table is
            title = (props.title or "").strip() or title_from_rows(first_rows)
        finally:
            wb.close()
        warnings = [_long_cells_problem(long_cells)] if long_cells else []
        return Raw(pages=pages, title=title, meta=meta, warnings=warnings)


def _noting(rows: Iterable[list[str]], kept: list[list[str]], keep: bool) -> Iterable[list[str]]:
    """The rows, passed on; the first three non-empty ones also kept (for the title) when `keep`."""
    for values in rows:
        if keep and len(kept) < 3 and any(values):
            kept.append(values)
        yield values


def _cut(values: list[str], sheet: str, long_cells: list[tuple[str, int]]) -> list[str]:
    """Cells over MAX_CELL_CHARS cut to it; each noted as (sheet, length)."""
    for i, value in enumerate(values):
        if len(value) > MAX_CELL_CHARS:
            long_cells.append((sheet, len(value)))
            values[i] = value[:MAX_CELL_CHARS]
    return values


def _long_cells_problem(long_cells: list[tuple[str, int]]) -> Problem:
    sheet, longest = max(long_cells, key=lambda c: c[1])
    return Problem("limit", f"{len(long_cells):,} cell(s) over Excel's {MAX_CELL_CHARS:,} characters were cut to it "
                            f"(the longest, {longest:,} characters, on sheet {sheet}); the original is kept whole",
                   "warning")


register(XlsxExtractor())
