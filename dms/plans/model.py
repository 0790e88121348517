"""The frozen records of plans, of the archive's supply evidence, and of a plan check.

Everything the plan check, the order draft, the follow-up list, the CLI and the web read is one of these.
Dates are `datetime.date`; quantities are floats in the unit named beside them (dms.plans.units: its
canonical unit); staff amounts are hours (a day is `Rules.hours_per_day` hours).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Dates a plan, a stock count, an order, a leave record or a check may name: outside, a date is a typo (9999 for
# 2025), refused where a person wrote it and skipped with a problem where a report did; date arithmetic (working
# days, timelines) then never leaves what Python's dates can hold.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def out_of_range(day: date) -> str:
    return f"{day.isoformat()} is outside the dates dms plans with ({EARLIEST.year}-{LATEST.year}): a typo?"


READINESS = ("ready", "at risk", "blocked")  # worst last: a milestone's readiness is its worst finding's
FINDING_KINDS = {  # kind -> readiness it makes its milestone
    "shortage": "blocked",  # a material short on its need-by date, after what earlier milestones consume
    "no stock data": "blocked",  # a part no stock report or purchase order names
    "over capacity": "at risk",  # a person or role asked for more hours than they have in the period
    "absent": "at risk",  # a named person absent on some working days of the period
    "absent throughout": "blocked",  # a named person absent on every working day of the period
    "unknown person": "blocked",  # a person or role the roster does not name
    "deliverable pending": "at risk",  # not on file yet, the milestone still ahead (as of the check's date)
    "deliverable missing": "blocked",  # not on file by the milestone's date, which has passed
    "dependency": "at risk",  # a milestone it depends on is blocked
}


@dataclass(frozen=True, slots=True)
class Deliverable:
    """A document a milestone needs on file: a number, optionally at a revision or later, optionally in a
    state (`approved` for a change request)."""
    number: str  # normal form (IdentifierMatcher), e.g. SPEC-KX200-02
    revision: str | None = None  # at least this revision (dms.revisions order)
    state: str | None = None  # e.g. "approved" (change requests only)
    text: str = ""  # as written in the workbook


@dataclass(frozen=True, slots=True)
class Milestone:
    key: str  # short id unique in the plan, e.g. M1 (as written in the workbook)
    name: str  # e.g. "Design freeze"
    phase: str  # e.g. "Development"
    start: date | None  # first day of the work towards it (None: the milestone date only)
    due: date  # the milestone date
    owner: str  # person responsible
    deliverables: tuple[Deliverable, ...] = ()
    depends_on: tuple[str, ...] = ()  # keys of milestones that must be met first
    row: int = 0  # workbook row (1-based, header is row 1) it came from, for messages


@dataclass(frozen=True, slots=True)
class MaterialNeed:
    milestone: str  # milestone key
    part: str  # part number, upper case, stripped
    description: str
    quantity: float  # in `unit`
    unit: str  # canonical unit (dms.plans.units.canonical)
    needed_by: date
    supplier: str = ""  # preferred supplier, if the plan names one
    row: int = 0


@dataclass(frozen=True, slots=True)
class StaffNeed:
    milestone: str
    who: str  # a person's name or a role, as written in the roster
    hours: float  # the workbook's days are converted with Rules.hours_per_day
    start: date
    end: date  # inclusive
    row: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    number: str  # PLAN-KX200-2025
    revision: str | None
    product: str  # product code
    title: str
    issued: date | None
    milestones: tuple[Milestone, ...]
    materials: tuple[MaterialNeed, ...] = ()
    staff: tuple[StaffNeed, ...] = ()
    doc_id: int | None = None  # the archive document it was read from (None: not on file)
    version_id: int | None = None


# -- the archive's supply evidence ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Source:
    """Where a row of evidence is written: the document (current version read), the sheet and row."""
    doc_id: int
    version_id: int
    number: str | None  # the document's number (RPT-…, PO-…), if it has one
    sheet: str  # sheet name ("" for a CSV or a calendar)
    row: int  # 1-based row in the sheet (for a calendar: the event's position, 1-based)
    doc_date: date | None = None


@dataclass(frozen=True, slots=True)
class StockRow:
    part: str
    on_hand: float  # canonical unit
    unit: str
    as_of: date  # the stock count's date (the row's date column, else the report's date)
    source: Source
    description: str = ""
    supplier: str = ""


@dataclass(frozen=True, slots=True)
class OrderRow:
    order: str  # PO number, normal form (PO-2024-0012)
    part: str
    quantity: float  # canonical unit, still to arrive
    unit: str
    due: date
    supplier: str
    status: str  # "open", or a closed status from the rules (received, cancelled …): closed rows never count
    ordered: date | None  # the order's date (the document's date)
    source: Source


@dataclass(frozen=True, slots=True)
class RosterRow:
    person: str
    role: str
    hours_per_week: float
    source: Source
    email: str = ""


@dataclass(frozen=True, slots=True)
class AbsenceRow:
    person: str
    start: date
    end: date  # inclusive
    kind: str  # "leave", "sick", "training" … as written
    source: Source


@dataclass(frozen=True, slots=True)
class Supply:
    """The evidence in force on a day: the latest stock count per part (later reports supersede earlier ones
    by date), every open order line of the current version of each order document, the latest roster's people,
    every absence."""
    stock: tuple[StockRow, ...] = ()
    orders: tuple[OrderRow, ...] = ()
    roster: tuple[RosterRow, ...] = ()
    absences: tuple[AbsenceRow, ...] = ()


# -- a plan check -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Evidence:
    """One document (and row) a finding rests on, with what it says."""
    doc_id: int | None
    number: str | None
    sheet: str
    row: int
    says: str  # e.g. "on hand 120 pcs on 2024-10-31", "PO-2024-0031: 400 pcs due 2024-12-02 (open)"


@dataclass(frozen=True, slots=True)
class Finding:
    milestone: str  # key
    kind: str  # one of FINDING_KINDS
    subject: str  # the part, person, role or deliverable number it is about
    message: str  # one line a coordinator reads: "lid hinge LH-200: 300 pcs short on 2025-02-01 (need 800, …)"
    evidence: tuple[Evidence, ...] = ()
    quantity: float | None = None  # shortages: how much is missing, canonical unit
    unit: str = ""
    needed_by: date | None = None
    supplier: str = ""  # shortages: the supplier to order from (plan's, else latest order's, else stock's)

    @property
    def readiness(self) -> str:
        return FINDING_KINDS[self.kind]


@dataclass(frozen=True, slots=True)
class MilestoneCheck:
    milestone: Milestone
    readiness: str  # one of READINESS
    findings: tuple[Finding, ...]
    moved_by: tuple[str, ...] = ()  # change requests whose schedule impact names this milestone


@dataclass(frozen=True, slots=True)
class CheckResult:
    plan: Plan
    as_of: date
    milestones: tuple[MilestoneCheck, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for m in self.milestones for f in m.findings)

    @property
    def readiness(self) -> str:
        """The plan's: its worst milestone's."""
        return max((m.readiness for m in self.milestones), key=READINESS.index, default="ready")


# -- follow-up --------------------------------------------------------------------------------------------
FOLLOWUP_KINDS = ("action", "awaiting reply", "plan finding", "change request")


@dataclass(frozen=True, slots=True)
class FollowUp:
    kind: str  # one of FOLLOWUP_KINDS
    key: str  # stable id: "action:<doc_id>:<line>", "reply:<doc_id>", "plan:<number>:<milestone>:<kind>:<subject>",
    #           "cr:<number>"
    owner: str  # the person who must act ("" if nobody is named)
    product: str  # product code ("" if none)
    text: str  # what is to be done / what waits
    due: date | None  # when (actions: their due date; replies: sent + reply days; plan findings: need-by)
    doc_id: int | None  # the document it comes from
    number: str | None  # that document's number
    since: date | None = None  # when it was raised (minutes date, message date, …)
    overdue: bool = False
    extra: dict = field(default_factory=dict, hash=False, compare=False)
