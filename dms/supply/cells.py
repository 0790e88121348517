"""Reading one cell of an evidence table: dates, quantities with their units, capacities, names.

Each reader returns the value or raises `BadCell` with the reason a person reads beside the row ("bad date
'31.02.2025'", "unknown unit 'crates': …"). Dates are read as the archive reads them (dms.ingest.dates, with
the rules' date order and month names), after a fast path for real dates and ISO text; a cell's reading is
kept per table, since the same date is written on many rows.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dms.ingest.dates import find_date
from dms.plans.model import in_range, out_of_range
from dms.plans.numbers import Ambiguous, NotANumber, read_number
from dms.plans.units import UnknownUnit, convert
from dms.rules import Rules

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+Z?)?")
_AMOUNT = re.compile(r"([-+]?\d[\d,.' ]*|[-+]?\.\d+)\s*(.*)")
MAX_NAME = 200  # a part, person, role or order number longer than this is not one


class BadCell(ValueError):
    """A cell that cannot be read as what its column holds; the message says why."""


class AmbiguousCell(BadCell):
    """1.000 in a table not known to write the German way (dms.plans.numbers): read once the table is judged."""


def text(value) -> str:
    """A cell as one line of text: numbers without a spurious .0, runs of spaces as one."""
    if type(value) is str:
        return " ".join(value.split())
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return " ".join(str(value).split())


def name(value, what: str) -> str:
    out = text(value)
    if len(out) > MAX_NAME:
        raise BadCell(f"{what} is {len(out):,} characters long")
    return out


class DateReader:
    """Dates of one table's cells, read with the archive's date rules (remembered per cell text)."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self._seen: dict[str, date | None] = {}

    def __call__(self, value, what: str) -> date:
        day = self._any(value, what)
        if not in_range(day):
            raise BadCell(f"bad {what}: {out_of_range(day)}")
        return day

    def _any(self, value, what: str) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        written = text(value)
        if not written:
            raise BadCell(f"no {what}")
        if written not in self._seen:
            self._seen[written] = self._read(written)
        found = self._seen[written]
        if found is None:
            raise BadCell(f"bad {what} {written[:40]!r}")
        return found

    def _read(self, written: str) -> date | None:
        if m := _ISO.fullmatch(written):
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
        if len(written) > 40:
            return None
        finding = find_date([written], {}, self.rules)
        if finding is None or " ".join((finding.words or "").split()).rstrip(".") != written.rstrip("."):
            return None  # "next week", "2025-02-01 or later": not a date a plan can count on
        return date.fromisoformat(finding.value)


def number(value, what: str, decimal_comma: bool = False) -> float:
    """A plain number, read by dms.plans.numbers (the one reader of numbers in cells: 1,234.5, 1 234, 1'234, a
    decimal comma 12,5 and 1.234,5; 1.000 only when the table writes the German way, `decimal_comma`)."""
    written = text(value)
    if not written and not isinstance(value, (int, float)):
        raise BadCell(f"no {what}")
    try:
        return read_number(value, decimal_comma=decimal_comma)
    except Ambiguous as exc:
        raise AmbiguousCell(f"{what} {exc}") from None
    except NotANumber:
        raise BadCell(f"bad {what} {written[:40]!r}") from None


def quantity(value, unit_cell, what: str, decimal_comma: bool = False) -> tuple[float, str]:
    """(quantity in its canonical unit, that unit): the unit from the unit column, else written in the cell
    after the number ("120 pcs"), else pieces."""
    unit = text(unit_cell)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = number(value, what, decimal_comma)
    else:
        written = text(value)
        m = _AMOUNT.fullmatch(written)
        if not written:
            raise BadCell(f"no {what}")
        if not m:
            raise BadCell(f"bad {what} {written[:40]!r}")
        amount = number(m.group(1), what, decimal_comma)
        if m.group(2):
            if unit and unit.lower() != m.group(2).lower():
                raise BadCell(f"{what} {written[:40]!r} names another unit than the unit column ({unit!r})")
            unit = m.group(2)
    try:
        return convert(amount, unit)
    except UnknownUnit as exc:
        raise BadCell(str(exc)) from None


def capacity(value, decimal_comma: bool = False) -> tuple[float | None, str]:
    """(number, how written): None when empty (the roster's default); "percent" when written with %,
    "hours" with h/hrs/hours, "fte" with FTE, else "" (the rules' capacity_unit)."""
    written = text(value).lower()
    if not written:
        return None, ""
    how = ""
    for suffix, kind in (("%", "percent"), ("fte", "fte"), ("hours", "hours"), ("hrs", "hours"), ("h", "hours")):
        if written.endswith(suffix):
            written, how = written[: -len(suffix)].strip(), kind
            break
    amount = number(value if not how else written, "capacity", decimal_comma)
    if amount < 0:
        raise BadCell(f"negative capacity {text(value)!r}")
    return amount, how
