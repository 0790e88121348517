"""The plan workbook's vocabulary (sheets, fields, columns and the names each may be written as) and the raw
reading of its sheets from an XLSX workbook or a sectioned CSV file.

One home for the names: the reader, the writer, the template and its About sheet all read them from here.
A header is matched case-insensitively, with runs of spaces and a trailing colon or dot ignored.

Reading is bounded before a cell is parsed: an XLSX package none of whose parts declares more than the text bound
(DMS_MAX_TEXT_MB, checked by dms.retro.metrics.check_size, as for report tables), at most `max_rows` rows read
(every row counts, blank or not: a million rows of " " cost as much to read as a million of data), at most
MAX_COLUMNS cells a row and MAX_CELL_CHARS characters a cell. Lists in a cell (Depends on, Deliverables) are split
here, for the reader and the plan form alike.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dms.plans.numbers import writes_german

MAX_COLUMNS = 60  # cells of a row read: a plan's sheets have a dozen columns, a hostile one 16,384
MAX_CELL_CHARS = 2_000  # a key, a name, a date or a list of deliverables is shorter; a longer cell is refused
DEFAULT_TEXT_BYTES = 20_000_000  # DMS_MAX_TEXT_MB's default, for callers that pass no bound
Problem = tuple[str, "int | None", "str | None", str]  # (sheet, row, column, what): dms.errors.PlanError

# sheet -> the names it may be written as (the first is the one dms writes)
SHEETS: dict[str, tuple[str, ...]] = {
    "Plan": ("Plan", "plan", "header", "document"),
    "Milestones": ("Milestones", "milestone", "schedule"),
    "Materials": ("Materials", "material", "parts", "material needs"),
    "Staff": ("Staff", "people", "staffing", "staff needs", "resources"),
}

# Plan sheet: field -> (label dms writes, other names, required, what it is)
PLAN_FIELDS: dict[str, tuple[str, tuple[str, ...], bool, str]] = {
    "number": ("Document No", ("document number", "document no.", "doc no", "plan no", "plan number", "number"), True,
               "the plan number, PLAN-<product>-<year> as the rules' plan identifiers are written"),
    "revision": ("Revision", ("rev", "rev."), False, "A, B, C … (or 1, 2, 3); a later revision supersedes an earlier "
                                                   "one"),
    "product": ("Product", ("product code", "model"), True, "the product code the plan is for"),
    "title": ("Title", ("name", "plan title"), True, "what the plan is, in words"),
    "issued": ("Date", ("issued", "issue date", "date issued"), False,
               "the day this revision was issued (YYYY-MM-DD); dms's as-of counts the plan from this day"),
    "owner": ("Owner", ("responsible", "plan owner"), False, "who keeps the plan"),
}

# sheet -> column role -> (header dms writes, other names, required, what it holds)
COLUMNS: dict[str, dict[str, tuple[str, tuple[str, ...], bool, str]]] = {
    "Milestones": {
        "key": ("Key", ("id", "milestone key", "no", "no."), True, "a short name unique in the plan, e.g. M1"),
        "name": ("Milestone", ("name", "milestone name", "description"), True, "e.g. Design freeze, Pilot run"),
        "phase": ("Phase", ("stage",), False, "e.g. Development, Industrialisation, Series"),
        "start": ("Start", ("start date", "begin"), False, "first day of the work towards it (YYYY-MM-DD)"),
        "date": ("Date", ("due", "due date", "milestone date", "end", "end date"), True, "the milestone date"),
        "owner": ("Owner", ("responsible",), False, "who is responsible"),
        "deliverables": ("Deliverables", ("deliverable", "documents", "documents needed"), False,
                         "documents that must be on file by the milestone date, separated by ; — a number, "
                         "optionally a revision (at least that one) and the word approved (a change request that "
                         "must be approved)"),
        "depends": ("Depends on", ("depends", "dependencies", "predecessors", "after"), False,
                    "keys of milestones that must be met first, separated by ; or ,"),
    },
    "Materials": {
        "milestone": ("Milestone", ("milestone key", "key", "for milestone"), True, "the key of the milestone"),
        "part": ("Part", ("part number", "part no", "part no.", "item", "item number", "article"), True,
                 "the part number, as stock reports and purchase orders write it"),
        "description": ("Description", ("part name", "designation"), False, "what the part is"),
        "quantity": ("Quantity", ("qty", "amount"), True, "how many (a number, not negative)"),
        "unit": ("Unit", ("uom", "unit of measure"), False, "pcs (the default), kg, g, m, mm, l …"),
        "needed_by": ("Needed by", ("need date", "needed", "required by"), False,
                      "the day it must be in stock (default: the milestone's Start, else its Date)"),
        "supplier": ("Supplier", ("vendor",), False, "who to order from, if the plan says"),
    },
    "Staff": {
        "milestone": ("Milestone", ("milestone key", "key", "for milestone"), True, "the key of the milestone"),
        "who": ("Person or role", ("person", "role", "who", "name", "staff"), True,
                "a person's name or a role, as the roster writes them"),
        "days": ("Days", ("person days", "man days"), False, "work needed, in days (Days or Hours is required)"),
        "hours": ("Hours", ("person hours",), False, "work needed, in hours"),
        "from": ("From", ("start", "from date"), False, "first day (default: the milestone's Start, else its Date)"),
        "to": ("To", ("until", "end", "to date"), False, "last day (default: the milestone's Date)"),
    },
}

TABLE_SHEETS = tuple(COLUMNS)
ALL_SHEETS = ("Plan", *TABLE_SHEETS)


def norm(text: object) -> str:
    return " ".join(str(text or "").strip().lower().rstrip(":.").split())


def sheet_for(name: str) -> str | None:
    """The sheet a sheet name (or CSV section name) stands for, or None."""
    n = norm(name)
    return next((sheet for sheet, names in SHEETS.items() if n in (norm(x) for x in names)), None)


def plan_field(label: object) -> str | None:
    n = norm(label)
    return next((f for f, (main, other, _, _) in PLAN_FIELDS.items() if n in (norm(main), *map(norm, other))), None)


def column_role(sheet: str, header: object) -> str | None:
    n = norm(header)
    return next((role for role, (main, other, _, _) in COLUMNS[sheet].items()
                 if n in (norm(main), *map(norm, other))), None)


@dataclass(frozen=True, slots=True)
class RawSheet:
    name: str  # as written
    rows: tuple[tuple[int, tuple], ...]  # (row number in the sheet or file, cell values), empty rows left out


@dataclass(frozen=True, slots=True)
class RawBook:
    sheets: dict  # canonical sheet -> RawSheet
    problems: tuple  # Problem
    german: bool = False  # the file writes the German way (dms.plans.numbers): a `;` CSV, decimal commas, 01.02.2025


def split_keys(text: str) -> tuple[str, ...]:
    """Milestone keys of a Depends on cell: separated by ; or , (a key may hold spaces: "Gate 1")."""
    return tuple(k for k in (" ".join(x.split()) for x in re.split(r"[;,]", text or "")) if k)


def join_keys(keys) -> str:
    return "; ".join(keys)


def split_deliverables(text: str) -> tuple[str, ...]:
    """The items of a Deliverables cell: separated by ; (or lines)."""
    return tuple(x for x in (" ".join(x.split()) for x in re.split(r"[;\n]", text or "")) if x)


def deliverable_text(d) -> str:
    """A Deliverable as a workbook or the form writes it: SPEC-KX200-02 Rev D, CR-2024-003 approved."""
    return " ".join(x for x in (d.number, f"Rev {d.revision}" if d.revision else "", d.state or "") if x)


class _Budget:
    """Counts rows read (blank ones too) over the whole workbook; past max_rows, reading stops with one problem."""

    def __init__(self, max_rows: int):
        self.max_rows, self.rows, self.problem = max_rows, 0, None

    def take(self, sheet: str, row: int) -> bool:
        self.rows += 1
        if self.rows > self.max_rows and self.problem is None:
            self.problem = (sheet, row, None, f"the workbook has more than {self.max_rows:,} rows (DMS_PLAN_MAX_ROWS); "
                                              "split the plan, or raise the limit")
        return self.problem is None


def _filled(values) -> bool:
    return any(v is not None and str(v).strip() for v in values)


def read_raw(path: Path, kind: str, max_rows: int, max_bytes: int = DEFAULT_TEXT_BYTES) -> RawBook:
    if kind == "xlsx":
        return _read_xlsx(path, max_rows, max_bytes)
    if kind == "csv":
        return _read_csv(path, max_rows)
    return RawBook({}, (("", None, None, f"a plan workbook is an .xlsx or .csv file, not {kind!r}"),))


def _read_xlsx(path: Path, max_rows: int, max_bytes: int) -> RawBook:
    import openpyxl

    from dms.retro.metrics import TooLarge, check_size

    try:
        check_size(path, "xlsx", max_bytes)  # before openpyxl inflates a part (a zip bomb of shared strings)
    except TooLarge as exc:
        return RawBook({}, (("", None, None, str(exc).replace("figures not read", "the workbook is not read", 1)),))
    except (zipfile.BadZipFile, OSError) as exc:
        return RawBook({}, (("", None, None, f"the file is not an XLSX workbook dms can read: {exc}"),))
    try:
        with open(path, "rb") as fh:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            try:
                return _sheets_of(((ws.title, enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1))
                                   for ws in wb.worksheets), max_rows)
            finally:
                wb.close()
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        return RawBook({}, (("", None, None, f"the file is not an XLSX workbook dms can read: {exc}"),))
    except Exception as exc:  # openpyxl's broken-XML errors have no common base
        return RawBook({}, (("", None, None, f"the XLSX workbook is damaged: {exc}"),))


def _sheets_of(named_rows, max_rows: int) -> RawBook:
    """(sheet title, iterable of (row number, values)) pairs -> the sheets dms reads, bounded by max_rows."""
    budget, sheets, problems = _Budget(max_rows), {}, []
    for position, (title, rows) in enumerate(named_rows):
        sheet = sheet_for(title)
        if position == 0 and sheet != "Plan":
            problems.append((title, None, None, "the Plan sheet (or [Plan] section) must come first: the archive "
                                                "reads a document's number and revision from its first page"))
        if sheet is None:
            continue  # an About sheet, notes: not read
        if sheet in sheets:
            problems.append((title, None, None, f"a second {sheet} sheet ({sheets[sheet].name!r} is the first)"))
            continue
        kept = []
        for number, values in rows:
            if not budget.take(title, number):
                break
            values = tuple(values)
            for i, v in enumerate(values):
                if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                    problems.append((title, number, _letter(i), f"the cell in column {_letter(i)} holds "
                                                                f"{len(v):,} characters; a plan's cells hold at "
                                                                f"most {MAX_CELL_CHARS:,}"))
                    values = values[:i] + ("",) + values[i + 1:]
            if _filled(values):
                kept.append((number, values))
        sheets[sheet] = RawSheet(title, tuple(kept))
        if budget.problem:
            break
    if budget.problem:
        problems.append(budget.problem)
    german = any(writes_german(values) for sheet in sheets.values() for _, values in sheet.rows)
    return RawBook(sheets, tuple(problems), german)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _read_csv(path: Path, max_rows: int) -> RawBook:
    """Sections start with a row whose first cell is [Plan], [Milestones], [Materials] or [Staff]; rows before
    the first section (a title line) are not read. Row numbers are the file's line numbers."""
    limit = max(1_000_000, max_rows * 1_000)  # bytes: far more than max_rows rows of a plan take
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return RawBook({}, (("", None, None, f"the file cannot be read: {exc.strerror or exc}"),))
    if len(data) > limit:
        return RawBook({}, (("", None, None, f"the CSV file is larger than {limit:,} bytes: more than a plan of "
                                             f"{max_rows:,} rows (DMS_PLAN_MAX_ROWS) takes"),))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    head = text[:20_000]
    delimiter = max((",", ";", "\t"), key=head.count)  # the separator the file uses most
    sections: list[tuple[str, list]] = []
    problems = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            line = reader.line_num
            first = str(values[0]).strip() if values else ""
            if first.startswith("[") and first.endswith("]") and not _filled(values[1:]):
                if sheet_for(first[1:-1]) is None:
                    problems.append((first[1:-1], line, None, f"unknown section {first}: sections are "
                                                               + ", ".join(f"[{s}]" for s in ALL_SHEETS)))
                sections.append((first[1:-1], []))
            elif sections:
                sections[-1][1].append((line, values[:MAX_COLUMNS]))
                if sum(len(rows) for _, rows in sections) > max_rows:
                    break  # _sheets_of names the row where the budget ran out
    except csv.Error as exc:
        problems.append(("", reader.line_num, None, f"the CSV file cannot be read: {exc}"))
    book = _sheets_of(((name, rows) for name, rows in sections), max_rows)
    return RawBook(book.sheets, (*problems, *book.problems), book.german or delimiter == ";")
