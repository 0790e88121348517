"""The plan of the Vantor Medical archive: products, specifications and their revisions, the changes the board
decided, the nonconformances; and the written forms of its dates."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

SEED = 10452
NAMES = {"VP-300": "Vantor Pump 300", "VP-500": "Vantor Pump 500", "HM-20": "HemoWatch 20"}
ALIASES = {**{name: code for code, name in NAMES.items()}, "VIP-3": "VP-300"}
CODE = re.compile(r"\b(?:VP-\d{3}|HM-\d{2})\b")
ALIAS = re.compile(r"\b(" + "|".join(re.escape(a) for a in ALIASES) + r")\b", re.IGNORECASE)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
PEOPLE = ("R. Alvarez", "M. Chen", "S. Okafor", "J. Park", "D. Whitfield", "L. Moreau", "T. Nguyen")
SPECS = (  # number, title, products, first and last revision in the archive
    ("DS-10452", "Pump housing", ("VP-300",), 2, 5),
    ("DS-10455", "Motor drive assembly", ("VP-300",), 1, 3),
    ("DS-10461", "Occlusion sensor", ("VP-300",), 8, 12),
    ("DS-10470", "Syringe driver mechanism", ("VP-500",), 1, 4),
    ("DS-10474", "Plunger detection", ("VP-500",), 3, 6),
    ("DS-10480", "Battery and power management", ("VP-300", "VP-500"), 1, 3),
    ("DS-10502", "ECG front end", ("HM-20",), 1, 4),
    ("DS-10507", "SpO2 module", ("HM-20",), 9, 11),
    ("DS-10511", "Alarm system", ("HM-20",), 1, 3),
)
WHAT = ("latch redesign", "tolerance update", "material change to PC/ABS", "firmware threshold update",
        "connector replacement", "labeling correction", "second source for a component", "gasket redesign")
REQUESTS = ("Add occlusion pressure readout to the main screen", "Longer battery runtime for transport use",
            "Larger alarm silence button", "Support for 60 mL syringes", "Quieter motor at low flow rates",
            "Show ECG lead-off indication on the remote display")
REQS = ("Operating temperature range shall be +5 C to +40 C.", "The enclosure shall meet IPX1 per IEC 60601-1-11.",
        "Mass shall not exceed 2.4 kg.", "Patient-contact materials shall be biocompatible per ISO 10993-1.",
        "Mean time between failures shall exceed 20,000 hours.", "Acoustic noise shall stay below 35 dBA at 1 m.",
        "The assembly shall survive a 1.0 m drop onto hardwood on six faces.")
WHY = ("Field reports of intermittent failures.", "Supplier part obsolescence.", "Verification found margin below "
       "target.", "Usability feedback from clinical evaluation.", "Cost reduction with equal performance.")
DISCUSS = ("Presented by R. Alvarez; drop test data reviewed.", "Risk file update reviewed by QA.",
           "Cost impact estimated at $4,200 per lot.", "Verification summary shown (12 of 12 units passed).",
           "Regulatory impact assessed by S. Okafor: letter to file.")
SAME_LINE = {"approved": ("approved as presented.", "Board decision: approved."),
             "rejected": ("rejected.", "Board decision: rejected."),
             "deferred": ("deferred to next meeting.", "tabled until the risk assessment is updated.")}
NEXT_LINE = {"approved": ("Outcome: Approved", "Board decision: approved.", "Decision: approved, effective now."),
             "rejected": ("Outcome: Rejected", "Board decision: rejected - insufficient verification evidence.",
                          "Rejected; originator to resubmit with test data."),
             "deferred": ("Deferred to next meeting pending supplier data.", "Outcome: deferred",
                          "Tabled until the risk assessment is updated.")}
AMEND = ("Changes per {e}.", "Updated in accordance with {e}.", "Implements {e}.", "This revision incorporates {e}.",
         "Amended per {e}.")
PARTS = {"VP-300": (("housing latch", "Keller Molding Inc."), ("pressure sensor", "Hartmann Sensorik GmbH")),
         "VP-500": (("plunger sensor board", "Brightline Electronics"), ("drive screw", "Keller Molding Inc.")),
         "HM-20": (("ECG cable", "Summit Cable Assemblies"), ("main PCB", "Brightline Electronics"))}
HOSPITALS = ("Oakridge Medical Center", "St. Brendan Hospital", "Lakeshore Regional Health")
COMPLAINTS = {"VP-300": ("Occlusion alarm sounded with no occlusion present.", "Door latch would not close."),
              "VP-500": ("Pump stopped during infusion; error E-17 displayed.", "Battery ran down early."),
              "HM-20": ("ECG trace noisy during patient transport.", "SpO2 reading dropped out intermittently.")}



def d_iso(d: date) -> str:
    return d.isoformat()


def d_dmy(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def d_mdy(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def d_us(d: date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


def d_us1(d: date) -> str:
    return f"{d.month}/{d.day}/{d.year}"


STYLES = (d_iso, d_dmy, d_mdy, d_us, d_us1)

@dataclass
class Doc:
    path: str
    type: str
    day: date
    blocks: list  # lines (str) and tables (lists of rows)
    products: tuple
    number: str | None = None
    revision: int | None = None
    decided_in: list = field(default_factory=list)
    amends: list = field(default_factory=list)
    created: date | None = None  # embedded creation date (PDF, DOCX, XLSX) when it differs from the document's
    mail: dict | None = None


@dataclass
class Change:
    kind: str  # ECO or ECR
    title: str
    products: tuple
    raised: date
    decisions: list  # (meeting day, outcome)
    spec: str | None = None
    effective: date | None = None  # the implementing revision's date
    number: str = ""
    origin: str | None = None


def _second_thursday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 7)


MEETINGS = [_second_thursday(y, m) for y in (2022, 2023, 2024) for m in range(1, 13)
            if (2022, 6) <= (y, m) <= (2024, 9)]


def ccb(day: date) -> str:
    return f"CCB-{day.year}-{day.month:02d}"


def workday(d: date) -> date:
    return d + timedelta(days=max(0, 7 - d.weekday()) if d.weekday() >= 5 else 0)


def named(rng: random.Random, products, old_ok: bool = False) -> str:
    words = []
    for p in products:
        forms = [f"{NAMES[p]} ({p})", p, NAMES[p]] + (["VIP-3 pump"] if old_ok and p == "VP-300" else [])
        words.append(rng.choice(forms))
    return " and ".join(words)


class World:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.revs = []  # (spec row, revision, day, [changes])
        self.changes: list[Change] = []
        self.ncrs = []  # (number, day, product, part, supplier)

    def plan(self) -> None:
        rng = self.rng
        for spec in SPECS:
            number, title, products, first, last = spec
            start = date(2022, 8, 15) + timedelta(days=rng.randint(0, 200))
            end = date(2024, 9, 12) - timedelta(days=rng.randint(0, 150))
            n = last - first
            for i, rev in enumerate(range(first, last + 1)):
                eff = workday(start + (end - start) * i / n + timedelta(days=rng.randint(-12, 12)))
                made = []
                if rev > 1:
                    meeting = max(m for m in MEETINGS if m <= eff - timedelta(days=14))
                    for what in rng.sample(WHAT, 2 if rng.random() < 0.12 else 1):
                        made.append(Change("ECO", f"{title}: {what}", products,
                                           meeting - timedelta(days=rng.randint(12, 45)), [(meeting, "approved")],
                                           number, eff))
                self.changes += made
                self.revs.append((spec, rev, eff, made))
        for ch in rng.sample([c for c in self.changes if c.decisions[0][0] > date(2023, 3, 1)], 5):
            prev = MEETINGS[MEETINGS.index(ch.decisions[0][0]) - 1]
            ch.raised = prev - timedelta(days=rng.randint(10, 30))
            ch.decisions.insert(0, (prev, "deferred"))
        for _ in range(6):
            number, title, products, _, _ = rng.choice(SPECS)
            raised = date(2023, 2, 1) + timedelta(days=rng.randint(0, 560))
            meeting = min(m for m in MEETINGS if m >= raised + timedelta(days=7))
            self.changes.append(Change("ECO", f"{title}: {rng.choice(WHAT)}", products, raised,
                                       [(meeting, "rejected")], number))
        for i, outcome in enumerate(("approved", "approved", "approved", "approved", "rejected", "deferred")):
            raised = date(2023, 2, 1) + timedelta(days=rng.randint(0, 520))
            meeting = min(m for m in MEETINGS if m >= raised + timedelta(days=7))
            decisions = [(meeting, outcome)]
            if outcome == "deferred":
                decisions.append((MEETINGS[MEETINGS.index(meeting) + 1], "approved"))
            self.changes.append(Change("ECR", REQUESTS[i], (rng.choice(list(NAMES)),), raised, decisions))
        for kind, offsets in (("ECO", {2022: 61, 2023: 8, 2024: 5}), ("ECR", {2023: 11, 2024: 2})):
            seq: dict[int, int] = {}
            for ch in sorted((c for c in self.changes if c.kind == kind), key=lambda c: c.raised):
                seq[ch.raised.year] = seq.get(ch.raised.year, offsets[ch.raised.year]) + rng.randint(1, 4)
                ch.number = f"{kind}-{ch.raised.year % 100:02d}-{seq[ch.raised.year]:04d}"
        for ecr in (c for c in self.changes if c.kind == "ECR" and c.decisions[-1][1] == "approved"):
            later = [c for c in self.changes if c.kind == "ECO" and c.products == ecr.products and c.effective
                     and c.raised > ecr.decisions[-1][0] and c.origin is None]
            if later:
                rng.choice(later).origin = ecr.number
        days = sorted(date(2023, 2, 1) + timedelta(days=rng.randint(0, 595)) for _ in range(14))
        seq = {2023: 12, 2024: 4}
        for i, day in enumerate(days):
            seq[day.year] += rng.randint(1, 5)
            product = "VP-300" if i in (3, 9) else rng.choice(list(NAMES))
            part, supplier = PARTS[product][1] if i in (3, 9) else rng.choice(PARTS[product])
            self.ncrs.append((f"NCR-{day.year}-{seq[day.year]:03d}", workday(day), product, part, supplier))

    def current_rev(self, spec: str, day: date) -> int | None:
        revs = [rev for s, rev, eff, _ in self.revs if s[0] == spec and eff <= day]
        return max(revs, default=None)

    def created(self, day: date) -> date | None:
        return day + timedelta(days=self.rng.randint(20, 300)) if self.rng.random() < 0.5 else None

