"""The archive's supply evidence, read once per document version and chosen per day.

`refresh` reads the evidence tables of every CSV/XLSX document and .ics calendar not read yet (as
dms.retro.metrics.refresh reads figures): what it finds is kept in the catalog with its sheet and row, bad
rows and bounds become a warning problem of the document (`dms problems`). When the rules' [supply] column
names change, every table is read again. `supply_on` calls it, then picks the evidence in force on a day:

- documents count when dms.asof counts them on that day (their date, else their ingest date; of the
  revisions of one number only the latest then known; copies, retired and purged documents never);
- stock: per part, the count with the latest date on or before the day (the row's date, else its
  report's), ties going to the later report by date, then id; rows of one report counting the same part on
  the same date in the same unit (two stores, say) are added up, citing the first;
- orders: per (order, part), the lines of the latest-dated document naming them; lines whose status is one
  of the rules' closed_statuses are left out, an empty status is "open";
- roster: the people of the latest roster document, capacity converted to hours per week by the rules'
  capacity_unit (empty: 40; percent of 40; FTE × 40; a cell written "80 %" or "32 h" says its own unit);
- leave: every absence row.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date

from dms.app import Dms
from dms.asof import known_on
from dms.catalog import supply as store
from dms.catalog.db import DocumentRow
from dms.model import Problem
from dms.plans.model import AbsenceRow, OrderRow, RosterRow, Source, StockRow, Supply
from dms.retro.metrics import TooLarge
from dms.supply import ics, tables
from dms.supply.tables import Found

FULL_WEEK = 40.0  # hours per week of a full-time person (capacity empty, 100 %, 1 FTE)
_memo: dict[tuple, Supply] = {}


def columns_digest(dms: Dms) -> str:
    """What a reading depends on besides the file: the [supply] column names, the identifier patterns (order
    numbers are kept in their normal form)."""
    return hashlib.sha256(repr((dms.rules.plans.supply, dms.rules.identifiers)).encode()).hexdigest()[:16]


def read_document(dms: Dms, doc: DocumentRow) -> tuple[Found, Problem | None]:
    """What one document's current version holds, and the warning problem to file (or None)."""
    v = doc.version
    path = dms.store.path_for(v.sha256)
    max_bytes = int(dms.settings.max_text_mb * 1_000_000)
    max_rows = dms.settings.supply_max_rows
    try:
        if v.kind == "text":
            with open(path, "rb") as fh:
                if not ics.is_calendar(fh.read(256)):
                    return Found(), None
            found = ics.read_calendar(path, max_rows=max_rows, max_bytes=max_bytes)
        else:
            found = tables.read_file(path, v.kind, dms.rules.plans.columns(), dms.rules, max_rows=max_rows,
                                     max_bytes=max_bytes)
    except TooLarge as exc:
        return Found(), Problem("limit", str(exc), "warning")
    except Exception as exc:  # noqa: BLE001 - a table that does not read is a problem of its document, never a crash
        return Found(), Problem("malformed", f"supply evidence not read: {type(exc).__name__}: {str(exc)[:200]}",
                                "warning")
    if not found.bad:
        return found, None
    more = f" (and {found.bad - len(found.skipped):,} more)" if found.bad > len(found.skipped) else ""
    return found, Problem("malformed", f"{found.bad:,} row(s) of supply evidence skipped: "
                          + "; ".join(found.skipped) + more, "warning")


def _rows(dms: Dms, found: Found) -> dict[str, list[tuple]]:
    iso = date.isoformat
    numbers: dict[str, str] = {}
    for o in found.orders:
        if o.order not in numbers:
            match = dms.matcher.fullmatch(o.order)
            numbers[o.order] = match.number if match else o.order.upper()
    return {
        "stock": [(s.sheet, s.row, s.part, s.on_hand, s.unit, iso(s.day) if s.day else None, s.description,
                   s.supplier) for s in found.stock],
        "orders": [(o.sheet, o.row, numbers[o.order], o.part, o.quantity, o.unit, iso(o.due), o.supplier, o.status)
                   for o in found.orders],
        "roster": [(p.sheet, p.row, p.person, p.role, p.capacity, p.written, p.email) for p in found.people],
        "leave": [(a.sheet, a.row, a.person, iso(a.start), iso(a.end), a.kind) for a in found.absences],
    }


def refresh(dms: Dms) -> int:
    """Read the evidence of every document not read yet (current versions); returns how many were read."""
    columns = columns_digest(dms)
    todo = store.unread(dms.catalog, columns)
    for doc in todo:
        found, problem = read_document(dms, doc)
        store.store(dms.catalog, doc.version.id, columns, _rows(dms, found), found.rows, problem)
    return len(todo)


class _Doc:
    """The document part of an evidence row (store.DOC_COLS), and its Source for a sheet and row."""
    __slots__ = ("id", "version", "number", "effective")

    def __init__(self, row: tuple):
        self.id, self.version, self.number, _, doc_date, ingested = row[:6]
        try:
            self.effective = date.fromisoformat((doc_date or "")[:10])
        except ValueError:  # no date of its own: the day it was ingested (as dms.asof counts it)
            self.effective = date.fromisoformat(ingested)

    def source(self, sheet: str, row: int) -> Source:
        return Source(self.id, self.version, self.number, sheet, row, self.effective)


def _in_force(dms: Dms, kind: str, as_of: date) -> list[tuple[_Doc, tuple]]:
    ids = known_on(dms, as_of.isoformat())
    docs: dict[int, _Doc | None] = {}
    width = len(store.DOC_COLS)
    out = []
    for row in store.evidence(dms.catalog, kind):
        doc = docs.get(row[0], False)
        if doc is False:
            doc = docs[row[0]] = _Doc(row) if row[0] in ids else None
            if doc is not None and doc.effective > as_of:
                doc = docs[row[0]] = None
        if doc is not None:
            out.append((doc, row[width:]))
    return out


def _stock(dms: Dms, as_of: date) -> tuple[StockRow, ...]:
    counts: dict[tuple, list] = {}  # (doc, part, day, unit) -> [doc, first row, total]
    for doc, row in _in_force(dms, "stock", as_of):
        day = row[5]
        counted = date.fromisoformat(day) if day else doc.effective
        if counted > as_of:
            continue
        key = (doc.id, row[2], counted, row[4])
        if key in counts:
            counts[key][2] += row[3]
        else:
            counts[key] = [doc, row, row[3]]
    best: dict[str, tuple] = {}
    for (_, part, counted, _), (doc, row, total) in counts.items():
        rank = (counted, doc.effective, doc.id, row[1])
        if part not in best or rank > best[part][0]:
            best[part] = (rank, doc, row, total)
    out = []
    for part in sorted(best):
        (counted, *_), doc, (sheet, number, _, _, unit, _, description, supplier), total = best[part]
        out.append(StockRow(part, total, unit, counted, doc.source(sheet, number), description, supplier))
    return tuple(out)


def _orders(dms: Dms, as_of: date) -> tuple[OrderRow, ...]:
    closed = set(dms.rules.plans.closed_statuses)
    lines: dict[tuple[str, str], list] = defaultdict(list)
    for doc, row in _in_force(dms, "orders", as_of):
        lines[(row[2], row[3])].append((doc, row))
    out = []
    for found in lines.values():
        latest = max((doc.effective, doc.id) for doc, _ in found)
        for doc, (sheet, number, order, part, qty, unit, due, supplier, status) in found:
            if (doc.effective, doc.id) == latest and status not in closed:
                out.append(OrderRow(order, part, qty, unit, date.fromisoformat(due), supplier, status or "open",
                                    doc.effective, doc.source(sheet, number)))
    return tuple(sorted(out, key=lambda o: (o.part, o.due, o.order, o.source.doc_id, o.source.row)))


def hours_per_week(capacity: float | None, written: str, rules_unit: str) -> float:
    if capacity is None:
        return FULL_WEEK
    unit = written or {"hours per week": "hours", "percent": "percent", "fte": "fte"}[rules_unit]
    return capacity if unit == "hours" else capacity / 100 * FULL_WEEK if unit == "percent" else capacity * FULL_WEEK


def _roster(dms: Dms, as_of: date) -> tuple[RosterRow, ...]:
    rows = _in_force(dms, "roster", as_of)
    if not rows:
        return ()
    latest = max((doc.effective, doc.id) for doc, _ in rows)
    unit = dms.rules.plans.capacity_unit
    return tuple(RosterRow(person, role, hours_per_week(capacity, written, unit), doc.source(sheet, row), email)
                 for doc, (sheet, row, person, role, capacity, written, email) in rows
                 if (doc.effective, doc.id) == latest)


def _absences(dms: Dms, as_of: date) -> tuple[AbsenceRow, ...]:
    return tuple(AbsenceRow(person, date.fromisoformat(first), date.fromisoformat(last), kind, doc.source(sheet, row))
                 for doc, (sheet, row, person, first, last, kind) in _in_force(dms, "leave", as_of))


def supply_on(dms: Dms, as_of: date) -> Supply:
    """The evidence in force on that day (see the module docstring). The last answer is kept while the
    archive (dms.graph.stamp.stamp: versions, documents, retirements …) and the rules stay as they were: a
    follow-up list checks every plan on one day."""
    from dms.graph.stamp import stamp

    refresh(dms)
    plans = dms.rules.plans
    key = (str(dms.settings.home), as_of, stamp(dms), columns_digest(dms), plans.closed_statuses,
           plans.capacity_unit)
    if key not in _memo:
        _memo.clear()
        _memo[key] = Supply(stock=_stock(dms, as_of), orders=_orders(dms, as_of), roster=_roster(dms, as_of),
                            absences=_absences(dms, as_of))
    return _memo[key]


def parts_known(dms: Dms) -> set[str]:
    """The parts any stock or order row of the archive names (current versions, whatever their date)."""
    refresh(dms)
    return store.parts_known(dms.catalog)
