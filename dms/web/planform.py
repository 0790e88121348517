"""The plan editing form: a Plan as rows of text for the form, and the typed rows back into a Plan.

The form has the workbook's sheets as tables (the same column names), one row per milestone, material and staff
need, plus blank rows to add more; a row left blank is dropped. Rows are numbered as the workbook `save_plan`
writes them (the header is row 1), so a problem the import names (sheet, row, column) is found on the form.
Only what a Plan cannot hold is checked here (a date or number that does not read); everything else (unknown
keys, cycles, dates out of order, units, parts without stock data) is the workbook reader's to refuse.
"""

from __future__ import annotations

from datetime import date

from dms.errors import PlanError
from dms.plans.model import Deliverable, MaterialNeed, Milestone, Plan, StaffNeed
from dms.plans.numbers import NotANumber, plain, read_number
from dms.plans.sheets import deliverable_text, join_keys, split_deliverables, split_keys
from dms.plans.units import UnknownUnit, convert

HEADER = (("number", "Document No"), ("product", "Product"), ("title", "Title"), ("issued", "Date"))
SHEETS = {  # sheet -> ((field, column as the workbook names it), …)
    "Milestones": (("key", "Key"), ("name", "Milestone"), ("phase", "Phase"), ("start", "Start"), ("due", "Date"),
                   ("owner", "Owner"), ("deliverables", "Deliverables"), ("depends_on", "Depends on")),
    "Materials": (("milestone", "Milestone"), ("part", "Part"), ("description", "Description"),
                  ("quantity", "Quantity"), ("unit", "Unit"), ("needed_by", "Needed by"), ("supplier", "Supplier")),
    "Staff": (("milestone", "Milestone"), ("who", "Person or role"), ("hours", "Hours"), ("start", "From"),
              ("end", "To")),
}
DATE_FIELDS = frozenset({"issued", "start", "due", "needed_by", "end"})  # typed as text, so a slip is kept as typed
PLACEHOLDERS = {"number": "PLAN-KX200-2026", "product": "KX200", "unit": "pcs",
                **{f: "YYYY-MM-DD" for f in DATE_FIELDS}}
BLANK_ROWS = 3  # empty rows offered under each table, to add to it
MAX_FORM_ROWS = 2000  # rows of one sheet the form takes (the workbook's own limit is plan_max_rows)


def _num(value: float) -> str:
    return str(plain(value))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def form_of(plan: Plan | None) -> dict:
    """The plan as the form shows it: header values and each sheet's rows as dicts of text."""
    if plan is None:
        return {"header": {k: "" for k, _ in HEADER}, "Milestones": [], "Materials": [], "Staff": []}
    return {
        "header": {"number": plan.number, "product": plan.product, "title": plan.title, "issued": _day(plan.issued)},
        "Milestones": [{"key": m.key, "name": m.name, "phase": m.phase, "start": _day(m.start), "due": _day(m.due),
                        "owner": m.owner, "deliverables": "; ".join(d.text or deliverable_text(d)
                                                                    for d in m.deliverables),
                        "depends_on": join_keys(m.depends_on)} for m in plan.milestones],
        "Materials": [{"milestone": n.milestone, "part": n.part, "description": n.description,
                       "quantity": _num(n.quantity), "unit": n.unit, "needed_by": _day(n.needed_by),
                       "supplier": n.supplier} for n in plan.materials],
        "Staff": [{"milestone": s.milestone, "who": s.who, "hours": _num(s.hours), "start": _day(s.start),
                   "end": _day(s.end)} for s in plan.staff],
    }


def form_from_post(form) -> dict:
    """What was typed, in the shape of form_of (rows wholly blank dropped), to read or to show again."""
    typed = {"header": {k: str(form.get(k) or "").strip() for k, _ in HEADER}}
    for sheet, columns in SHEETS.items():
        prefix = sheet[:2].lower()
        values = {f: [str(v) for v in form.getlist(f"{prefix}_{f}")] for f, _ in columns}
        count = min(max((len(v) for v in values.values()), default=0), MAX_FORM_ROWS)
        rows = []
        for i in range(count):
            row = {f: (values[f][i].strip() if i < len(values[f]) else "") for f, _ in columns}
            if any(row.values()):
                rows.append(row)
        typed[sheet] = rows
    return typed


class _Reader:
    """Reads typed cells, collecting every problem as (sheet, row, column, what)."""

    def __init__(self):
        self.problems: list[tuple[str, int | None, str | None, str]] = []

    def problem(self, sheet, row, column, what) -> None:
        self.problems.append((sheet, row, column, what))

    def day(self, sheet, row, column, text: str, required: bool = False) -> date | None:
        if not text:
            if required:
                self.problem(sheet, row, column, "is empty; write a date as YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problem(sheet, row, column, f"{text!r} is not a date; write it as YYYY-MM-DD")
            return None

    def number(self, sheet, row, column, text: str) -> float | None:
        if not text:
            self.problem(sheet, row, column, "is empty; write a number")
            return None
        try:
            value = read_number(text)  # the workbook's reader (dms.plans.numbers): 1,5 and 1.234,5 too
        except NotANumber as exc:
            self.problem(sheet, row, column, str(exc))
            return None
        if value < 0 or value != value or value in (float("inf"), float("-inf")):
            self.problem(sheet, row, column, f"{text} must be a number of zero or more")
            return None
        return value

    def text(self, sheet, row, column, text: str) -> str:
        if not text:
            self.problem(sheet, row, column, "is empty")
        return text


def _deliverables(text: str) -> tuple[Deliverable, ...]:
    """Each `;`-separated deliverable as typed: the workbook reader makes out number, revision and state when
    `save_plan` reads the workbook back (one reader for both ways in)."""
    return tuple(Deliverable(number=item, text=item) for item in split_deliverables(text))


def plan_from_form(typed: dict) -> Plan:
    """The typed form as a Plan (PlanError naming sheet, row and column for what does not read)."""
    r = _Reader()
    head = typed["header"]
    number = r.text("Plan", None, "Document No", head["number"].upper())
    product = r.text("Plan", None, "Product", head["product"].upper())
    title = r.text("Plan", None, "Title", head["title"])
    issued = r.day("Plan", None, "Date", head["issued"])
    milestones, by_key = [], {}
    keys = {row["key"] for row in typed["Milestones"] if row["key"]}  # a milestone whose date does not read counts
    for i, row in enumerate(typed["Milestones"], start=2):
        key = r.text("Milestones", i, "Key", row["key"])
        start = r.day("Milestones", i, "Start", row["start"])
        due = r.day("Milestones", i, "Date", row["due"], required=True)
        if due is None:
            continue
        ms = Milestone(key=key, name=r.text("Milestones", i, "Milestone", row["name"]), phase=row["phase"],
                       start=start, due=due, owner=row["owner"], deliverables=_deliverables(row["deliverables"]),
                       depends_on=split_keys(row["depends_on"]), row=i)
        milestones.append(ms)
        by_key.setdefault(key, ms)
    materials = []
    for i, row in enumerate(typed["Materials"], start=2):
        ms = by_key.get(row["milestone"])
        quantity = r.number("Materials", i, "Quantity", row["quantity"])
        needed = r.day("Materials", i, "Needed by", row["needed_by"]) or (ms and (ms.start or ms.due))
        unit = row["unit"]
        try:
            quantity, unit = convert(quantity, unit) if quantity is not None else (None, unit)
        except UnknownUnit as exc:
            r.problem("Materials", i, "Unit", str(exc))
        if r.text("Materials", i, "Milestone", row["milestone"]) and row["milestone"] not in keys:
            r.problem("Materials", i, "Milestone", f"no milestone has the key {row['milestone']!r}")
        part = r.text("Materials", i, "Part", row["part"].upper())
        if quantity is not None and needed is not None:
            materials.append(MaterialNeed(milestone=row["milestone"], part=part, description=row["description"],
                                          quantity=quantity, unit=unit, needed_by=needed, supplier=row["supplier"],
                                          row=i))
    staff = []
    for i, row in enumerate(typed["Staff"], start=2):
        ms = by_key.get(row["milestone"])
        hours = r.number("Staff", i, "Hours", row["hours"])
        start = r.day("Staff", i, "From", row["start"]) or (ms and (ms.start or ms.due))
        end = r.day("Staff", i, "To", row["end"]) or (ms and ms.due)
        if r.text("Staff", i, "Milestone", row["milestone"]) and row["milestone"] not in keys:
            r.problem("Staff", i, "Milestone", f"no milestone has the key {row['milestone']!r}")
        who = r.text("Staff", i, "Person or role", row["who"])
        if hours is not None and start is not None and end is not None:
            staff.append(StaffNeed(milestone=row["milestone"], who=who, hours=hours, start=start, end=end, row=i))
    if not typed["Milestones"]:
        r.problem("Milestones", None, None, "the plan needs at least one milestone")
    if r.problems:
        raise PlanError(r.problems, source="the form")
    return Plan(number=number, revision=None, product=product, title=title, issued=issued,
                milestones=tuple(milestones), materials=tuple(materials), staff=tuple(staff))


def marks(problems) -> set[tuple[str, int, str]]:
    """(sheet, row, column) of each problem that names all three, to mark those cells on the form."""
    return {(s, row, col) for s, row, col, _ in problems if s and row and col}
