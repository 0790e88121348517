"""The order draft: a purchase request for a plan's shortages, one line per shortage, grouped by supplier.

The CSV goes where the coordinator asks (-o) and a copy is kept on file (purchase-requests/ under the data
directory, ingested like any document). For each supplier an e-mail with its lines is queued in the notice outbox
and delivered as change-request notices are (filed under notices/, then sent: dms.changes.notify). The evidence
names no supplier's e-mail address, so the e-mails go to the coordinator who asked, to check and forward: a draft
is never sent to a supplier unread. Every draft is audited.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from itertools import groupby
from pathlib import Path

from jinja2 import Environment

from dms.plans.model import CheckResult

COLUMNS = ("supplier", "part", "description", "quantity", "unit", "needed by", "milestone", "plan")
NO_SUPPLIER = "(no supplier named)"
_MAIL = Environment(trim_blocks=True, lstrip_blocks=True, autoescape=False).from_string("""\
Purchase request for {{ supplier }}

Plan {{ plan.number }}{{ rev }} ({{ plan.title }}, product {{ plan.product }})
checked as of {{ as_of }} is short of these materials:

{% for l in lines %}
- {{ l.text }}
{% endfor %}

Please check the quantities and dates and forward this request to {{ supplier }}.
The full draft is on file as {{ kept }}.
""")


@dataclass(frozen=True, slots=True)
class OrderLine:
    supplier: str
    part: str
    description: str
    quantity: float
    unit: str
    needed_by: date
    milestone: str
    plan: str

    @property
    def quantity_text(self) -> str:
        return f"{round(self.quantity, 3):g}"

    @property
    def text(self) -> str:
        what = f"{self.part} ({self.description})" if self.description else self.part
        return f"{what}: {self.quantity_text} {self.unit} needed by {self.needed_by} for milestone {self.milestone}"

    def row(self) -> list[str]:
        return [self.supplier, self.part, self.description, self.quantity_text, self.unit,
                self.needed_by.isoformat(), self.milestone, self.plan]


@dataclass(frozen=True, slots=True)
class QueuedMail:
    supplier: str
    name: str  # the .eml file name in the outbox and under notices/
    notice_id: int
    lines: int


@dataclass(frozen=True, slots=True)
class OrderDraft:
    csv: Path  # where it was written (-o)
    kept: Path  # the copy on file
    doc_id: int | None  # the kept copy's document
    lines: tuple[OrderLine, ...]
    emails: tuple[QueuedMail, ...]

    def to_dict(self) -> dict:
        return {"csv": str(self.csv), "kept": str(self.kept), "doc_id": self.doc_id,
                "lines": [dict(zip(COLUMNS, line.row())) for line in self.lines],
                "emails": [{"supplier": m.supplier, "name": m.name, "notice_id": m.notice_id, "lines": m.lines}
                           for m in self.emails]}


def draft_lines(result: CheckResult) -> tuple[OrderLine, ...]:
    """One line per shortage finding, grouped by supplier (then need date, part, milestone)."""
    described = {(n.milestone, n.part): n.description for n in result.plan.materials}
    lines = [OrderLine(" ".join(f.supplier.split()) or NO_SUPPLIER, f.subject,
                       " ".join(described.get((f.milestone, f.subject), "").split()),
                       f.quantity or 0.0, f.unit, f.needed_by, f.milestone, result.plan.number)
             for f in result.findings if f.kind == "shortage"]
    return tuple(sorted(lines, key=lambda x: (x.supplier == NO_SUPPLIER, x.supplier.lower(), x.needed_by, x.part,
                                              x.milestone)))


def csv_text(lines: tuple[OrderLine, ...]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_safe(line.row()) for line in lines)
    return buf.getvalue()


def _safe(row: list[str]) -> list[str]:
    """A cell a spreadsheet would read as a formula (=, +, -, @ first) is written as text."""
    return [f"'{c}" if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _NUMBER.fullmatch(c)) else c for c in row]


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_")[:60] or "supplier"


def order_draft(dms, result: CheckResult, out: Path, *, by: str) -> OrderDraft:
    """Write the draft to `out`, keep a copy on file, queue an e-mail per supplier, audit it (a coordinator)."""
    from dms import audit, auditactions
    from dms.catalog import outbox
    from dms.changes.archive import file_name
    from dms.changes.notify import deliver_pending
    from dms.documents import resolve
    from dms.ingest.pipeline import ingest
    from dms.users import acting

    user = acting(dms.catalog, by, "coordinator")
    lines = draft_lines(result)
    text = csv_text(lines)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    plan = result.plan
    folder = dms.settings.home / "purchase-requests"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    kept = folder / f"{file_name(plan.number)}-order-draft-{result.as_of}-{stamp}.csv"
    kept.write_text(text, encoding="utf-8")
    ingest(dms, [kept], inline=True, by=by)
    doc_id = resolve(dms, str(kept)).id
    queued = []
    with dms.catalog.transaction():
        for supplier, group in groupby(lines, key=lambda x: x.supplier):
            group = list(group)
            name = f"{file_name(plan.number)}-order-{_slug(supplier)}-{stamp}.eml"
            message = _compose(user, plan, result.as_of, supplier, group, kept.name)
            queued.append(QueuedMail(supplier, name, outbox.add(dms.catalog, plan.number, name, message), len(group)))
        audit.record(dms.catalog, by, auditactions.PLAN_ORDER_DRAFT, f"doc:{doc_id}",
                     {"plan": plan.number, "revision": plan.revision, "as_of": result.as_of.isoformat(),
                      "lines": len(lines), "suppliers": [m.supplier for m in queued], "csv": str(out)},
                     also=[f"doc:{plan.doc_id}"] if plan.doc_id else ())
    deliver_pending(dms)
    return OrderDraft(out, kept, doc_id, lines, tuple(queued))


def _compose(user, plan, as_of: date, supplier: str, lines: list[OrderLine], kept: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "dms <dms@localhost>"
    msg["To"] = f"{user.name} <{user.email or user.name + '@localhost'}>"
    msg["Subject"] = f"Purchase request {plan.number} for {supplier}: {len(lines)} line{'s' * (len(lines) != 1)}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="dms.localhost")
    msg["X-Dms-Supplier"] = supplier
    rev = f" Rev {plan.revision}" if plan.revision else ""
    msg.set_content(_MAIL.render(plan=plan, rev=rev, as_of=as_of, supplier=supplier, lines=lines, kept=kept))
    return bytes(msg)
