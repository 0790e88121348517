"""Figures from report tables: distribution, sales, returns, complaints and enquiries per product and period.

A table is found by its header row: a period column and at least one metric column, by the names
in the rules' [metrics] section. Rows follow until one has no period. Rows of the same product,
period and metric are added up (one row per retailer, say). Each figure keeps the version of the
document it came from; when two reports give the same product, period and metric, the later-dated
report's figure counts.

Tables are read in the main process, so reading is bounded: rows are streamed (openpyxl read-only), a
part of an XLSX package whose declared size is over the text bound (DMS_MAX_TEXT_MB) is not opened at
all (zip output stops at the declared size, so the declaration cannot lie), nor is a CSV over it; such
a table gives no figures and its document gets a warning problem saying why.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from dms.app import Dms
from dms.catalog import DocumentRow
from dms.catalog import metrics as metrics_sql
from dms.catalog.problems import add_problem
from dms.model import Problem

METRICS = ("distributed", "sold", "returned", "complaints", "enquiries")
TABLE_KINDS = ("csv", "xlsx")
MAX_CELL_CHARS = 1_000  # a period, a product or a number is short: longer cells are read as empty
MAX_CELLS = 2_000_000  # cells read per table document; the rest is left, with a problem


class TooLarge(Exception):
    """A table over the reading bound: the reason becomes the document's problem."""


def normalise_period(value, year: int | None) -> str | None:
    """2023-04, 2023-04-17, a date, 'Q2' (with the report's year), '2023-Q2' or 'Q2 2023' -> '2023-04' / '2023-Q2'."""
    if isinstance(value, (datetime, date)):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value or "").strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})(?:-\d{2})?", text):
        return f"{m.group(1)}-{m.group(2)}" if 1 <= int(m.group(2)) <= 12 else None
    if m := re.fullmatch(r"(?:(\d{4})[- ]?)?Q([1-4])(?:[- ]?(\d{4}))?", text, re.IGNORECASE):
        y = m.group(1) or m.group(3) or (str(year) if year else None)
        return f"{y}-Q{m.group(2)}" if y else None
    return None


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value or "").strip().replace(",", "").replace(" ", "")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def check_size(path: Path, kind: str, max_bytes: int) -> None:
    """Raise TooLarge if reading the table could take more than `max_bytes` of text: a CSV by its size, an
    XLSX by the declared (uncompressed) size of each part of its package."""
    if kind == "csv":
        size = path.stat().st_size
        if size > max_bytes:
            raise TooLarge(f"figures not read: the table is {_mb(size)}, over the {_mb(max_bytes)} bound "
                           "(DMS_MAX_TEXT_MB)")
        return
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            if info.file_size > max_bytes:
                raise TooLarge(f"figures not read: {info.filename} is {_mb(info.file_size)} uncompressed, over the "
                               f"{_mb(max_bytes)} bound (DMS_MAX_TEXT_MB)")


def _short(value):
    return "" if isinstance(value, str) and len(value) > MAX_CELL_CHARS else value


def sheets_of(path: Path, kind: str) -> Iterator[Iterator[list]]:
    """Each sheet as rows, read as they are used (call `check_size` first)."""
    if kind == "csv":
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            yield ([_short(v) for v in row] for row in csv.reader(fh))
        return
    from openpyxl import load_workbook

    with open(path, "rb") as fh:
        book = load_workbook(fh, read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                yield ([_short(v) for v in row] for row in sheet.iter_rows(values_only=True))
        finally:
            book.close()


def _counted(sheets: Iterable[Iterable[list]]) -> Iterator[Iterator[list]]:
    """The rows, stopping with TooLarge past MAX_CELLS cells."""
    cells = 0

    def rows(sheet):
        nonlocal cells
        for row in sheet:
            cells += len(row)
            if cells > MAX_CELLS:
                raise TooLarge(f"figures not read: the table has more than {MAX_CELLS:,} cells")
            yield row

    for sheet in sheets:
        yield rows(sheet)


def _header(row: list, roles: dict[str, tuple[str, ...]]) -> dict[str, int] | None:
    found = {}
    for col, cell in enumerate(row):
        name = str(cell or "").strip().lower()
        for role, names in roles.items():
            if name in names and role not in found:
                found[role] = col
    if "period" in found and any(m in found for m in METRICS):
        return found
    return None


def figures(sheets: Iterable[Iterable[list]], roles: dict[str, tuple[str, ...]], year: int | None,
            products: tuple[str, ...]) -> dict[tuple[str, str, str], float]:
    """(product, period, metric) -> value, summed over the rows of every table found."""
    out: dict[tuple[str, str, str], float] = defaultdict(float)
    default_product = products[0] if len(products) == 1 else None
    for rows in sheets:
        columns = None
        for row in rows:
            header = _header(row, roles)
            if header:
                columns = header
                continue
            if columns is None:
                continue
            period = normalise_period(row[columns["period"]] if columns["period"] < len(row) else None, year)
            if period is None:
                columns = None  # the table ended
                continue
            product = default_product
            if "product" in columns and columns["product"] < len(row) and row[columns["product"]]:
                product = str(row[columns["product"]]).strip().upper()
            if not product:
                continue
            for metric in METRICS:
                if metric in columns and columns[metric] < len(row):
                    value = _number(row[columns[metric]])
                    if value is not None:
                        out[(product, period, metric)] += value
    return dict(out)


def read_document(dms: Dms, doc: DocumentRow) -> tuple[dict[tuple[str, str, str], float], Problem | None]:
    """The document's figures; a table over the bounds gives none, and a warning problem saying why."""
    v = doc.version
    year = int(v.doc_date[:4]) if v.doc_date else None
    path = dms.store.path_for(v.sha256)
    try:
        check_size(path, v.kind, int(dms.settings.max_text_mb * 1_000_000))
        return figures(_counted(sheets_of(path, v.kind)), dict(dms.rules.metrics), year, v.products), None
    except TooLarge as exc:
        return {}, Problem("limit", str(exc), "warning")
    except Exception:  # noqa: BLE001 - a table dms cannot read has no figures; ingest already recorded why
        return {}, None


def refresh(dms: Dms, wait: float | None = None) -> int:
    """Read the figures of every table document not read yet (current versions); returns how many were read.
    `wait`: seconds to wait for another writer's lock (CatalogBusy past them) instead of the usual timeout."""
    todo = metrics_sql.documents_for_metrics(dms.catalog)
    for doc in todo:
        found, problem = read_document(dms, doc)
        with dms.catalog.transaction(wait=wait):
            if problem:
                add_problem(dms.catalog, doc.version.id, problem)
            metrics_sql.store_figures(dms.catalog, doc.version.id, found)
    return len(todo)


def for_product(dms: Dms, product: str) -> dict[str, dict[str, dict]]:
    """period -> metric -> {value, doc_id}: the figures of current versions, the later-dated report winning. While
    another process writes (an ingest), the figures read so far: a page does not wait for the writer."""
    from dms.errors import CatalogBusy
    from dms.graph import QUESTION_WAIT

    try:
        refresh(dms, wait=QUESTION_WAIT)
    except CatalogBusy:
        pass  # the tables not read yet are read by the next question
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for period, metric, value, doc_id in metrics_sql.figures_of(dms.catalog, product.upper()):
        out[period][metric] = {"value": value, "doc_id": doc_id}  # later rows (later reports) win
    return dict(sorted(out.items()))
