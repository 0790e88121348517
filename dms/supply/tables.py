"""Evidence tables in CSV and XLSX documents: stock counts, purchase order lines, the roster, leave.

A table is found as [metrics] tables are (dms.retro.metrics): by a header row, here one that holds the
column roles of a kind of the rules' [supply] section (dms.rules.plans.TABLE_KINDS). When a header
holds the roles of several kinds, the kind needing the most roles wins (a "Name | Role | From | To" table is
leave, not a roster). Rows follow until a row with every required cell empty, or another header. A
"Supplier | Helix Components" row above a table (a single purchase order's head) names the supplier of the
lines that name none.

A row that cannot be read (a bad date, an unknown unit, a missing quantity) is skipped, and the reason kept
with its sheet and row: the caller files it as a warning problem of the document. Reading is bounded as
metrics reading is (the text bound on the file and on each part of an XLSX package, a cell bound; the
readers are dms.retro.metrics's), and by `max_rows` rows of evidence per document (DMS_SUPPLY_MAX_ROWS): a
document over a bound gives no evidence at all, never a part of it (half a stock report would let an older
count of the other parts win unseen).

Numbers are read by dms.plans.numbers, whose rule decides "1.000": a `;`-separated CSV, or a document any of whose
cells writes a decimal comma (2,5) or a DD.MM.YYYY date, writes the German way and 1.000 is a thousand; a row
holding 1.000 is read once the whole document has been seen, and in a document without German writing it is
skipped with its reason ("write 1000 or 1,0") in the document's warning problem.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from dms.plans.numbers import writes_german
from dms.retro import metrics
from dms.retro.metrics import TooLarge
from dms.rules import Rules
from dms.rules.plans import TABLE_KINDS
from dms.supply import cells
from dms.supply.cells import BadCell

MAX_REASONS = 20  # skipped rows named in the document's problem; the rest are counted


@dataclass(frozen=True, slots=True)
class Stock:
    part: str
    on_hand: float  # canonical unit
    unit: str
    day: date | None  # the row's own date (None: the report's date counts)
    description: str
    supplier: str
    sheet: str
    row: int


@dataclass(frozen=True, slots=True)
class Order:
    order: str
    part: str
    quantity: float
    unit: str
    due: date
    supplier: str
    status: str  # lower case, "" when empty (open)
    sheet: str
    row: int


@dataclass(frozen=True, slots=True)
class Person:
    person: str
    role: str
    capacity: float | None  # as written (None: empty)
    written: str  # "percent", "fte", "hours" when the cell says so, else "" (the rules' capacity_unit)
    email: str
    sheet: str
    row: int


@dataclass(frozen=True, slots=True)
class Absence:
    person: str
    start: date
    end: date  # inclusive
    kind: str
    sheet: str
    row: int


@dataclass(frozen=True, slots=True)
class Found:
    """What one document holds; `skipped` names rows not read and why (at most MAX_REASONS of `bad`)."""
    stock: tuple[Stock, ...] = ()
    orders: tuple[Order, ...] = ()
    people: tuple[Person, ...] = ()
    absences: tuple[Absence, ...] = ()
    skipped: tuple[str, ...] = ()
    bad: int = 0  # rows skipped
    rows: int = 0  # rows of evidence read (skipped ones included)

    @property
    def empty(self) -> bool:
        return not (self.stock or self.orders or self.people or self.absences or self.bad)


@dataclass
class _Collector:
    max_rows: int
    out: dict[str, list] = field(default_factory=lambda: {"stock": [], "orders": [], "roster": [], "leave": []})
    skipped: list[str] = field(default_factory=list)
    bad: int = 0
    rows: int = 0

    def skip(self, sheet: str, row: int, why: str) -> None:
        self.bad += 1
        if len(self.skipped) < MAX_REASONS:
            self.skipped.append(f"{f'sheet {sheet} ' if sheet else ''}row {row}: {why}")

    def found(self) -> Found:
        return Found(tuple(self.out["stock"]), tuple(self.out["orders"]), tuple(self.out["roster"]),
                     tuple(self.out["leave"]), tuple(self.skipped), self.bad, self.rows)


def role_lookup(columns: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """header name (lower case) -> the roles it may hold."""
    out: dict[str, list[str]] = {}
    for role, names in columns.items():
        for n in names:
            out.setdefault(n, []).append(role)
    return {n: tuple(roles) for n, roles in out.items()}


def header_of(row: list, lookup: dict[str, tuple[str, ...]]) -> tuple[str, dict[str, int]] | None:
    """(kind, role -> column) when the row is a header of an evidence table."""
    found: dict[str, int] = {}
    for col, cell in enumerate(row):
        if type(cell) is not str or len(cell) > 100:
            continue
        key = cell.strip().lower().rstrip(":")
        for role in lookup.get(key) or lookup.get(" ".join(key.split()), ()):
            found.setdefault(role, col)
    kinds = [k for k, need in TABLE_KINDS.items() if all(r in found for r in need)]
    if not kinds:
        return None
    return max(kinds, key=lambda k: len(TABLE_KINDS[k])), found


def _cell(row: list, columns: dict[str, int], role: str):
    col = columns.get(role)
    return row[col] if col is not None and col < len(row) else None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_row(kind: str, row: list, columns: dict[str, int], sheet: str, number: int, dates: cells.DateReader,
              comma: bool = False):
    def get(role):
        return _cell(row, columns, role)

    if kind == "stock":
        qty, unit = cells.quantity(get("on_hand"), get("unit"), "on hand", comma)
        day = dates(get("date"), "date") if not _blank(get("date")) else None
        part = cells.name(get("part"), "part").upper()
        if not part:
            raise BadCell("no part")
        return Stock(part, qty, unit, day, cells.name(get("description"), "description"),
                     cells.name(get("supplier"), "supplier"), sheet, number)
    if kind == "orders":
        order, part = cells.name(get("order"), "order"), cells.name(get("part"), "part").upper()
        if not order or not part:
            raise BadCell("no order number" if not order else "no part")
        qty, unit = cells.quantity(get("quantity"), get("unit"), "quantity", comma)
        if qty < 0:
            raise BadCell(f"negative quantity {cells.text(get('quantity'))!r}")
        return Order(order, part, qty, unit, dates(get("due"), "due date"), cells.name(get("supplier"), "supplier"),
                     cells.text(get("status")).lower(), sheet, number)
    if kind == "roster":
        person = cells.name(get("person"), "name")
        if not person:
            raise BadCell("no name")
        amount, written = cells.capacity(get("capacity"), comma)
        return Person(person, cells.name(get("role"), "role"), amount, written, cells.name(get("email"), "e-mail"),
                      sheet, number)
    person = cells.name(get("person"), "name")
    if not person:
        raise BadCell("no name")
    start = dates(get("absent_from"), "first day")
    end = dates(get("absent_to"), "last day") if not _blank(get("absent_to")) else start
    if end < start:
        raise BadCell(f"the absence ends ({end}) before it starts ({start})")
    return Absence(person, start, end, cells.name(get("absence"), "absence") or "leave", sheet, number)


def _labelled(row: list, lookup: dict[str, tuple[str, ...]], role: str) -> str:
    """The value of a "label | value" row whose label names the role ("Supplier | Helix Components")."""
    filled = [c for c in row if not _blank(c)]
    if len(filled) == 2 and role in lookup.get(cells.text(filled[0]).lower().rstrip(":"), ()):
        return cells.text(filled[1])[: cells.MAX_NAME]
    return ""


def read_sheets(sheets: Iterable[tuple[str, Iterable[list]]], columns: dict[str, tuple[str, ...]], rules: Rules,
                max_rows: int, decimal_comma: bool = False) -> Found:
    """The evidence of every table in the sheets ((name, rows) pairs). `decimal_comma`: the file is known to write
    the German way (a `;`-separated CSV); else its cells tell (dms.plans.numbers.writes_german)."""
    lookup = role_lookup(columns)
    got = _Collector(max_rows)
    dates = cells.DateReader(rules)
    german = decimal_comma
    pending = []  # rows holding 1.000, read once the document is judged: (kind, row, cols, sheet, number, supplier, at)
    for sheet, rows in sheets:
        table: tuple[str, dict[str, int]] | None = None
        supplier = ""  # a "Supplier | Helix Components" row above a table names the supplier of its lines
        for number, row in enumerate(rows, start=1):
            german = german or writes_german(row)
            header = header_of(row, lookup)
            if header:
                table = header
                continue
            if table is None:
                supplier = _labelled(row, lookup, "supplier") or supplier
                continue
            kind, cols = table
            if all(_blank(_cell(row, cols, role)) for role in TABLE_KINDS[kind]):
                table = None  # the table ended
                continue
            got.rows += 1
            if got.rows > max_rows:
                raise TooLarge(f"supply evidence not read: more than {max_rows:,} rows of stock, orders, roster or "
                               "leave (DMS_SUPPLY_MAX_ROWS)")
            try:
                _take(got, kind, _read_row(kind, row, cols, sheet, number, dates, german), supplier)
            except cells.AmbiguousCell:
                pending.append((kind, row, cols, sheet, number, supplier, len(got.out[kind])))
            except BadCell as exc:
                got.skip(sheet, number, f"{kind} row not read: {exc}")
    for kind, row, cols, sheet, number, supplier, at in reversed(pending):  # back to front: `at` stays right
        try:
            _take(got, kind, _read_row(kind, row, cols, sheet, number, dates, german), supplier, at)
        except BadCell as exc:
            got.skip(sheet, number, f"{kind} row not read: {exc}")
    return got.found()


def _take(got: _Collector, kind: str, found, supplier: str, at: int | None = None) -> None:
    if supplier and hasattr(found, "supplier") and not found.supplier:
        found = replace(found, supplier=supplier)
    got.out[kind].insert(len(got.out[kind]) if at is None else at, found)


def _named(path: Path, kind: str, sheets: Iterator[Iterator[list]]) -> Iterator[tuple[str, Iterator[list]]]:
    """metrics.sheets_of's sheets with their names ("" for a CSV)."""
    if kind == "csv":
        names: list[str] = [""]
    else:
        from openpyxl import load_workbook

        with open(path, "rb") as fh:
            book = load_workbook(fh, read_only=True)
            try:
                names = [ws.title for ws in book.worksheets]
            finally:
                book.close()
    yield from zip(names, sheets)


def encoding_of(path: Path) -> str:
    """A CSV file's encoding, judged from its first megabyte as the text extractor judges it (BOMs, UTF-8,
    UTF-16 without a BOM — Excel's "Unicode text" —, then cp1252 and the like), so no export reads as nothing."""
    from dms.ingest.textcodec import decode

    with open(path, "rb") as fh:
        sample = fh.read(1 << 20)
    cut = sample.rfind(b"\n")
    if cut > 0 and not sample.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in sample[:4096]:
        sample = sample[: cut + 1]  # whole lines, so a character is not judged by half its bytes
    encoding = decode(sample)[1]
    return "utf-8-sig" if encoding in ("utf-8", "ascii") else encoding


def delimiter_of(path: Path, encoding: str = "utf-8-sig") -> str:
    """The field separator of a CSV file: the one of `,`, `;` and tab most used in its first lines (German
    spreadsheet exports write `;` and decimal commas)."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        head = fh.read(8192)
    lines = [line for line in head.splitlines()[:20] if line.strip()]
    counts = {d: sum(line.count(d) for line in lines) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _csv_rows(path: Path, delimiter: str, encoding: str) -> Iterator[Iterator[list]]:
    """metrics.sheets_of for a CSV, with the file's own delimiter and encoding."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        yield ([metrics._short(v) for v in row] for row in csv.reader(fh, delimiter=delimiter))  # noqa: SLF001


def read_file(path: Path, kind: str, columns: dict[str, tuple[str, ...]], rules: Rules, *, max_rows: int,
              max_bytes: int) -> Found:
    """The evidence of a CSV or XLSX file; TooLarge (the reason a person reads) over a bound."""
    try:
        metrics.check_size(path, kind, max_bytes)
        if kind == "csv":
            encoding = encoding_of(path)
            delimiter = delimiter_of(path, encoding)
            rows = _csv_rows(path, delimiter, encoding)
        else:
            delimiter, rows = "", metrics.sheets_of(path, kind)
        sheets = metrics._counted(rows)  # noqa: SLF001 - the one bounded reader
        return read_sheets(_named(path, kind, sheets), columns, rules, max_rows, decimal_comma=delimiter == ";")
    except TooLarge as exc:
        raise TooLarge(str(exc).replace("figures not read", "supply evidence not read", 1)) from None
