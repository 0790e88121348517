"""The daily follow-up digest: one e-mail per person listing what waits for them, sent like change-request notices.

Each digest is queued in the notice outbox (dms.catalog.outbox) and delivered by dms.changes.notify: filed
under notices/ (ingested, so it is on file and found) and then written to the outbox folder or sent over SMTP.
A person gets one digest a day (its file name holds the user and the day: a second run that day queues none
for them), and none when nothing waits for them. Change requests are left to the workflow's own notices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from dms import audit
from dms.app import Dms
from dms.auditactions import FOLLOW_UP_DIGEST_QUEUED as QUEUED
from dms.catalog import followup as sql
from dms.catalog import outbox
from dms.followup.listing import followups
from dms.followup.people import DMS_SENDER, people
from dms.plans.model import FollowUp

NUMBER = "FOLLOWUP-DIGEST"  # the outbox's number column of every digest
KINDS = ("action", "awaiting reply", "plan finding")  # what a digest lists
HEADINGS = {"action": "Actions from minutes", "awaiting reply": "Correspondence",
            "plan finding": "Plan findings"}


@dataclass(frozen=True, slots=True)
class Digest:
    user: str
    to: str
    name: str  # the file name in the outbox and under notices/
    items: int
    overdue: int
    notice_id: int | None  # None: already queued today (not queued again)
    message: bytes


def file_name(user: str, day: date) -> str:
    safe = re.sub(r"[^\w.-]", "_", user)
    return f"followup-{safe}-{day.isoformat()}.eml"


def _line(item: FollowUp) -> str:
    due = f" (due {item.due.isoformat()}{', OVERDUE' if item.overdue else ''})" if item.due else ""
    where = f" [{item.number}]" if item.number else ""
    owner = f" - {item.owner}" if item.owner else ""
    return f"  * {item.text}{owner}{due}{where}\n    key {item.key}"


def compose(user: str, address: str, day: date, items: list[FollowUp]) -> bytes:
    overdue = sum(i.overdue for i in items)
    msg = EmailMessage()
    msg["From"] = f"dms <{DMS_SENDER}>"
    msg["To"] = f"{user} <{address}>"
    msg["Subject"] = f"Follow-up for {user} on {day.isoformat()}: {len(items)} open, {overdue} overdue"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="dms.localhost")
    body = [f"Dear {user},", "", f"{len(items)} item(s) wait for you as of {day.isoformat()} ({overdue} overdue)."]
    for kind in KINDS:
        mine = [i for i in items if i.kind == kind]
        if mine:
            body += ["", f"{HEADINGS[kind]} ({len(mine)}):", *(_line(i) for i in mine)]
    body += ["", "Mark one settled with: dms followup done KEY --note TEXT", "This digest is kept on file."]
    msg.set_content("\n".join(body) + "\n")
    return bytes(msg)


def unowned(dms: Dms, day: date) -> list[FollowUp]:
    """The open items no enabled user's digest carries: their owner is nobody dms knows as a user (a roster name,
    a name in minutes), or nobody at all. Saying so keeps "no digest" from reading as "nothing waits"."""
    names = [name for name, _ in people(dms, day).users]
    carried = {i.key for name in names for i in followups(dms, user=name, as_of=day)}
    return [i for i in followups(dms, as_of=day) if i.kind in KINDS and i.key not in carried]


def send_digest(dms: Dms, *, as_of: date | None = None, users: list[str] | None = None,
                by: str = "dms", deliver: bool = True) -> list[Digest]:
    """Queue today's digest of every enabled user (or of those named) with something waiting, then file and
    send every pending notice (deliver=False leaves them queued). Returns the digests, in user order."""
    from dms.changes.notify import deliver_pending
    from dms.users import get

    day = as_of or date.today()
    who = people(dms, day)
    names = users if users is not None else [name for name, _ in who.users]
    out = []
    for name in names:
        get(dms.catalog, name)  # NotFound for a user that does not exist
        items = [i for i in followups(dms, user=name, as_of=day) if i.kind in KINDS]
        if not items:
            continue
        name_eml, address = file_name(name, day), who.address_of(name)
        message = compose(name, address, day, items)
        overdue = sum(i.overdue for i in items)
        notice_id = None
        if sql.notice_named(dms.catalog, name_eml) is None:
            with dms.catalog.transaction():
                notice_id = outbox.add(dms.catalog, NUMBER, name_eml, message)
                audit.record(dms.catalog, by, QUEUED, f"user:{name}",
                             {"notice": notice_id, "name": name_eml, "items": len(items), "overdue": overdue})
        out.append(Digest(name, address, name_eml, len(items), overdue, notice_id, message))
    if deliver:
        deliver_pending(dms)
    return out
