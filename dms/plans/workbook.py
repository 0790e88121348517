"""Plan workbooks: read one into a Plan (every problem collected, then one PlanError naming sheet, row and
column), write a Plan back as a workbook, and write the empty template with its About sheet.

The layout (sheets Plan, Milestones, Materials, Staff; the names each header may be written as) lives in
dms.plans.sheets. The Plan sheet comes first and writes `Document No | PLAN-…` and `Revision | B` as
label/value cells, which is what the ingest's number and revision rules read from a workbook's first page.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from dms.errors import PlanError
from dms.plans import sheets as vocab
from dms.plans.model import Deliverable, MaterialNeed, Milestone, Plan, StaffNeed, in_range, out_of_range
from dms.plans.numbers import NotANumber, read_number
from dms.plans.units import UnknownUnit, convert
from dms.plans.writer import about_lines, write_template, write_workbook
from dms.revisions import fits_scheme, normalize_revision
from dms.rules import Rules

__all__ = ["read_workbook", "write_workbook", "write_template", "about_lines", "STATES"]

STATES = ("approved",)  # a deliverable's state, as the check knows it
_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class _Problems(list):
    def add(self, sheet: str, row: int | None, column: str | None, what: str) -> None:
        self.append((sheet, row, column, what))


def read_workbook(path: Path, kind: str, rules: Rules, *, max_rows: int, source: str = "",
                  max_bytes: int = vocab.DEFAULT_TEXT_BYTES) -> Plan:
    """The plan a workbook (kind "xlsx") or sectioned CSV file (kind "csv") holds; PlanError listing every
    problem when it has any. `max_bytes`: no part of an XLSX package may declare more (DMS_MAX_TEXT_MB)."""
    source = source or Path(path).name
    raw = vocab.read_raw(Path(path), kind, max_rows, max_bytes)
    problems = _Problems(raw.problems)
    if not raw.problems or raw.sheets:
        for sheet in vocab.ALL_SHEETS:
            if sheet not in raw.sheets:
                problems.add(sheet, None, None, f"missing sheet {sheet} (sheets are {', '.join(vocab.ALL_SHEETS)}; "
                                                "`dms plan template` writes an empty workbook)")
    if problems:
        raise PlanError(list(problems), source)
    head = _plan_sheet(raw.sheets["Plan"], rules, problems)
    milestones = _milestones(raw.sheets["Milestones"], rules, problems)
    by_key = {m.key.casefold(): m for m in milestones}
    materials = _materials(raw.sheets["Materials"], by_key, problems, raw.german)
    staff = _staff(raw.sheets["Staff"], by_key, rules.plans.hours_per_day, problems, raw.german)
    if problems:
        raise PlanError(list(problems), source)
    return Plan(number=head["number"], revision=head["revision"], product=head["product"], title=head["title"],
                issued=head["issued"], milestones=tuple(milestones), materials=tuple(materials), staff=tuple(staff))


# -- cells ----------------------------------------------------------------------------------------------------
def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return " ".join(str(value).split())


def _date(value) -> date:
    day = _any_date(value)
    if not in_range(day):
        raise ValueError(out_of_range(day))
    return day


def _any_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text[:10]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T][\d:.]+)?", text) else \
            date(*reversed([int(x) for x in _DMY.fullmatch(text).groups()]))
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a date: write dates as YYYY-MM-DD (or DD.MM.YYYY)") from None


def _number(value, german: bool) -> float:
    """A quantity, days or hours: dms.plans.numbers reads it (1.000 only in a file writing the German way)."""
    try:
        number = read_number(value, decimal_comma=german)
    except NotANumber as exc:
        raise ValueError(str(exc) if _text(value) else "no number") from None
    if number < 0:
        raise ValueError(f"{_text(value)} is negative: quantities are 0 or more")
    return number


# -- the Plan sheet --------------------------------------------------------------------------------------------
def _plan_sheet(sheet: vocab.RawSheet, rules: Rules, problems: _Problems) -> dict:
    from dms.identifiers import IdentifierMatcher

    values, rows = {}, {}
    for row, cells in sheet.rows:
        filled = [c for c in cells if _text(c)]
        field = vocab.plan_field(filled[0]) if filled else None
        if field and field not in values:
            values[field] = filled[1] if len(filled) > 1 else None
            rows[field] = row
    out: dict = {}
    for field, (label, _, required, _) in vocab.PLAN_FIELDS.items():
        value = values.get(field)
        if required and not _text(value):
            problems.add(sheet.name, rows.get(field), label, f"{label} is required" +
                         ("" if field in rows else f": add a row `{label} | …`"))
        out[field] = _text(value) or None
    if out["number"]:
        found = IdentifierMatcher(rules).fullmatch(out["number"])
        families = [f for f, _ in rules.identifiers]
        if not found or ("plan" in families and found.family != "plan"):
            problems.add(sheet.name, rows["number"], "Document No",
                         f"{out['number']!r} is not a plan number the rules know (plan numbers look like "
                         f"{dict(rules.identifiers).get('plan', 'PLAN-…')})")
        else:
            out["number"] = found.number
            if found.revision and not out["revision"]:
                out["revision"] = found.revision
    if out["revision"]:
        revision = normalize_revision(out["revision"])
        family = "plan"
        if not re.fullmatch(r"[A-Z]{1,2}|\d{1,3}(?:\.\d{1,3}){0,2}", revision or "") or \
                not fits_scheme(revision, rules.revision_scheme(family)):
            problems.add(sheet.name, rows.get("revision"), "Revision",
                         f"{out['revision']!r} is not a revision: write A, B, C … or 1, 2, 3")
        out["revision"] = revision
    if out["product"]:
        out["product"] = _product(out["product"], rules, problems, sheet.name, rows["product"])
    out["issued"] = None
    if _text(values.get("issued")):
        try:
            out["issued"] = _date(values["issued"])
        except ValueError as exc:
            problems.add(sheet.name, rows["issued"], "Date", str(exc))
    return out


def _product(value: str, rules: Rules, problems: _Problems, sheet: str, row: int) -> str:
    aliases = {" ".join(name.casefold().split()): code for name, code in rules.product_aliases}
    code = aliases.get(" ".join(value.casefold().split()), value.upper())
    found = re.search(rules.product_pattern, code)
    if not found:
        problems.add(sheet, row, "Product", f"{value!r} is not a product code (the rules' pattern is "
                                            f"{rules.product_pattern})")
    return found.group(0) if found else code


# -- table sheets ---------------------------------------------------------------------------------------------
def _table(sheet: vocab.RawSheet, kind: str, problems: _Problems):
    """(column roles by position, data rows as (row, {role: value})), or None when a required column is missing."""
    if not sheet.rows:
        return {}, []
    header_row, header = sheet.rows[0]
    roles: dict[int, str] = {}
    for i, cell in enumerate(header):
        role = vocab.column_role(kind, cell)
        if role and role not in roles.values():
            roles[i] = role
    missing = [main for role, (main, _, required, _) in vocab.COLUMNS[kind].items()
               if required and role not in roles.values()]
    if kind == "Staff" and not {"days", "hours"} & set(roles.values()):
        missing.append("Days or Hours")
    for column in missing:
        problems.add(sheet.name, header_row, column, f"missing required column {column} (the header row has "
                                                     f"{', '.join(_text(c) for c in header if _text(c)) or 'nothing'})")
    if missing:
        return None
    rows = [(row, {role: cells[i] if i < len(cells) else None for i, role in roles.items()})
            for row, cells in sheet.rows[1:]]
    return roles, rows


def _required(sheet: str, kind: str, row: int, cells: dict, problems: _Problems) -> bool:
    ok = True
    for role, (main, _, required, _) in vocab.COLUMNS[kind].items():
        if required and not _text(cells.get(role)):
            problems.add(sheet, row, main, f"{main} is empty; it is required")
            ok = False
    return ok


def _cell_date(sheet: str, row: int, column: str, value, problems: _Problems) -> date | None:
    if not _text(value):
        return None
    try:
        return _date(value)
    except ValueError as exc:
        problems.add(sheet, row, column, str(exc))
        return None


def _milestones(sheet: vocab.RawSheet, rules: Rules, problems: _Problems) -> list[Milestone]:
    from dms.identifiers import IdentifierMatcher

    table = _table(sheet, "Milestones", problems)
    if table is None:
        return []
    matcher, out, first_row = IdentifierMatcher(rules), [], {}
    for row, cells in table[1]:
        if not _required(sheet.name, "Milestones", row, cells, problems):
            continue
        key = _text(cells["key"])
        if key.casefold() in first_row:
            problems.add(sheet.name, row, "Key", f"duplicate key {key} (first on row {first_row[key.casefold()]})")
            continue
        first_row[key.casefold()] = row
        due = _cell_date(sheet.name, row, "Date", cells["date"], problems)
        start = _cell_date(sheet.name, row, "Start", cells.get("start"), problems)
        if start and due and start > due:
            problems.add(sheet.name, row, "Start", f"dates out of order: Start {start} is after the milestone's "
                                                   f"Date {due}")
        deliverables = tuple(_deliverables(_text(cells.get("deliverables")), matcher, sheet.name, row, problems))
        depends = vocab.split_keys(_text(cells.get("depends")))
        if due:
            out.append(Milestone(key=key, name=_text(cells["name"]), phase=_text(cells.get("phase")), start=start,
                                 due=due, owner=_text(cells.get("owner")), deliverables=deliverables,
                                 depends_on=depends, row=row))
    return _dependencies(out, sheet.name, first_row, problems)


def _deliverables(text: str, matcher, sheet: str, row: int, problems: _Problems):
    for item in vocab.split_deliverables(text):
        found = matcher.find(item, flexible=True)
        if not found or found[0].start != 0:
            problems.add(sheet, row, "Deliverables", f"{item!r} does not start with a document number the rules "
                                                     "know (e.g. a specification or change request number)")
            continue
        state = " ".join(item[found[0].end:].split()).lower() or None
        if state and state not in STATES:
            problems.add(sheet, row, "Deliverables", f"{item!r}: {state!r} is not a revision (Rev D) or a state "
                                                     f"({', '.join(STATES)})")
            continue
        yield Deliverable(number=found[0].number, revision=found[0].revision, state=state, text=item)


def _dependencies(milestones: list[Milestone], sheet: str, rows: dict, problems: _Problems) -> list[Milestone]:
    keys = {m.key.casefold(): m for m in milestones}
    fixed = []
    for m in milestones:
        depends = []
        for dep in m.depends_on:
            other = keys.get(dep.casefold())
            if other is None:
                problems.add(sheet, m.row, "Depends on", f"depends on {dep}, which is no milestone's key" +
                             (" (that milestone's row has problems)" if dep.casefold() in rows else ""))
            elif other.key == m.key:
                problems.add(sheet, m.row, "Depends on", f"milestone {m.key} depends on itself")
            else:
                depends.append(other.key)
                if m.due < other.due:
                    problems.add(sheet, m.row, "Date", f"dates out of order: {m.key} is dated {m.due}, before "
                                                       f"{other.key} ({other.due}), which it depends on")
        fixed.append(Milestone(m.key, m.name, m.phase, m.start, m.due, m.owner, m.deliverables, tuple(depends), m.row))
    for cycle in _cycles({m.key: m.depends_on for m in fixed}):
        first = next(m for m in fixed if m.key == cycle[0])
        problems.add(sheet, first.row, "Depends on", "dependencies go round in a circle: " + " → ".join(
            [*cycle, cycle[0]]))
    return fixed


def _cycles(graph: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """One cycle per strongly connected knot (iterative DFS: a plan of 20,000 rows must not hit recursion limits)."""
    state, found = {}, []
    for root in graph:
        if root in state:
            continue
        stack, path = [(root, iter(graph[root]))], [root]
        state[root] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
                path.pop()
            elif state.get(child) == "open":
                found.append(path[path.index(child):])
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(graph.get(child, ()))))
                path.append(child)
    return found


def _milestone(sheet: str, row: int, value, by_key: dict, problems: _Problems) -> Milestone | None:
    m = by_key.get(_text(value).casefold())
    if m is None:
        problems.add(sheet, row, "Milestone", f"{_text(value)!r} is no milestone's key (sheet Milestones, column Key)")
    return m


def _materials(sheet: vocab.RawSheet, by_key: dict, problems: _Problems, german: bool) -> list[MaterialNeed]:
    table = _table(sheet, "Materials", problems)
    out = []
    for row, cells in (table or ({}, []))[1]:
        if not _required(sheet.name, "Materials", row, cells, problems):
            continue
        m = _milestone(sheet.name, row, cells["milestone"], by_key, problems)
        try:
            quantity = _number(cells["quantity"], german)
        except ValueError as exc:
            problems.add(sheet.name, row, "Quantity", str(exc))
            quantity = None
        try:
            quantity, unit = convert(quantity or 0.0, _text(cells.get("unit")))
        except UnknownUnit as exc:
            problems.add(sheet.name, row, "Unit", str(exc))
            unit = None
        needed = _cell_date(sheet.name, row, "Needed by", cells.get("needed_by"), problems)
        if m is None or unit is None:
            continue
        needed = needed or m.start or m.due
        if needed > m.due:
            problems.add(sheet.name, row, "Needed by", f"dates out of order: needed by {needed}, after milestone "
                                                       f"{m.key}'s Date {m.due}")
        out.append(MaterialNeed(milestone=m.key, part=_text(cells["part"]).upper(),
                                description=_text(cells.get("description")), quantity=quantity, unit=unit,
                                needed_by=needed, supplier=_text(cells.get("supplier")), row=row))
    return out


def _staff(sheet: vocab.RawSheet, by_key: dict, hours_per_day: float, problems: _Problems,
           german: bool) -> list[StaffNeed]:
    table = _table(sheet, "Staff", problems)
    out = []
    for row, cells in (table or ({}, []))[1]:
        if not _required(sheet.name, "Staff", row, cells, problems):
            continue
        m = _milestone(sheet.name, row, cells["milestone"], by_key, problems)
        days, hours = _text(cells.get("days")), _text(cells.get("hours"))
        amount = None
        if days and hours:
            problems.add(sheet.name, row, "Days", "write Days or Hours, not both")
        elif not days and not hours:
            problems.add(sheet.name, row, "Days", "Days or Hours is required")
        else:
            try:
                amount = _number(cells["days"], german) * hours_per_day if days else _number(cells["hours"], german)
            except ValueError as exc:
                problems.add(sheet.name, row, "Days" if days else "Hours", str(exc))
        start = _cell_date(sheet.name, row, "From", cells.get("from"), problems)
        end = _cell_date(sheet.name, row, "To", cells.get("to"), problems)
        if m is None or amount is None:
            continue
        start, end = start or m.start or m.due, end or m.due
        if start > end:
            problems.add(sheet.name, row, "From", f"dates out of order: From {start} is after To {end}")
            continue
        out.append(StaffNeed(milestone=m.key, who=_text(cells["who"]), hours=amount, start=start, end=end, row=row))
    return out
