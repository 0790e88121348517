"""What needs following up, per person and per product: open actions of minutes, replies owed or awaited, the
findings of every current plan's check, and change requests waiting on a workflow step.

    followups(dms, user=, product=, as_of=)   -> [FollowUp]  (dms.plans.model), overdue first, then by due date
    mark_done(dms, key, by=, note=)           an action or a reply taken care of: audited, with its note

Keys (stable, the key `dms followup done` takes): action:<doc_id>:<line>, reply:<doc_id>,
plan:<number>:<milestone>:<kind>:<subject>, cr:<number>. A follow-up marked done stays off the list from the
day it was marked (a list as of an earlier day still shows it). Plan findings come from dms.plans.check
(skipped while that part of dms is not installed); their owner is the milestone's owner.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from dms import audit
from dms.app import Dms
from dms.auditactions import FOLLOW_UP_MARKED_DONE as MARKED
from dms.catalog import followup as sql
from dms.errors import DmsError, NotFound, PermissionDenied, UsageError
from dms.followup import actions as act
from dms.followup import replies
from dms.followup.people import People, people
from dms.plans.model import FOLLOWUP_KINDS, FollowUp
from dms.users import acting

MARKABLE = ("action", "awaiting reply")  # plan findings and change requests are settled where they live
MAX_NOTE = 2000


def followups(dms: Dms, *, user: str | None = None, product: str | None = None,
              as_of: date | None = None) -> list[FollowUp]:
    """Every open follow-up as of the day (default today); only the user's (as owner) when user is given."""
    as_of = as_of or date.today()
    who = people(dms, as_of)
    done = {k: v for k, v in sql.marks(dms.catalog).items() if v["done_at"][:10] <= as_of.isoformat()}
    items = [*_actions(dms, as_of), *_replies(dms, as_of, who), *_plan_findings(dms, as_of),
             *_change_requests(dms, user)]
    items = [i for i in items if i.key not in done]
    if user is not None:
        items = [i for i in items if i.kind == "change request" or who.owns(i.owner, i.extra.get("owner_email", ""),
                                                                             user)]
    if product:
        code = product.strip().upper()
        items = [i for i in items if code in i.extra.get("products", (i.product,))]
    return sorted(items, key=lambda i: (not i.overdue, i.due or date.max, FOLLOWUP_KINDS.index(i.kind), i.key))


def _actions(dms: Dms, as_of: date) -> list[FollowUp]:
    out = []
    for a in act.open_actions(dms, as_of):
        overdue = a.due is not None and a.due < as_of
        out.append(FollowUp("action", f"action:{a.doc_id}:{a.line}", a.owner, a.products[0] if a.products else "",
                            a.what, a.due, a.doc_id, a.number, since=a.held, overdue=overdue,
                            extra={"products": a.products, "line": a.line, "due_text": a.due_text, "text": a.text}))
    return out


def _replies(dms: Dms, as_of: date, who: People) -> list[FollowUp]:
    out = []
    for w in replies.awaiting(dms, as_of, who):
        m = w.mail
        what = f"reply owed to {w.waits_on}" if w.owed else f"awaiting reply from {w.waits_on}"
        out.append(FollowUp("awaiting reply", f"reply:{m.doc_id}", w.owner, m.products[0] if m.products else "",
                            f"{m.subject or '(no subject)'}: {what}", w.due, m.doc_id, m.number, since=m.sent,
                            overdue=w.due < as_of,
                            extra={"products": m.products, "owner_email": w.owner_email, "owed": w.owed,
                                   "other": w.waits_on, "subject": m.subject, "message_id": m.message_id}))
    return out


def _plan_findings(dms: Dms, as_of: date) -> list[FollowUp]:
    try:
        from dms.plans.check import check_plan
        from dms.plans.library import list_plans
    except ImportError:  # the plan check of issue 16 is not installed yet
        return []
    out = []
    for plan in list_plans(dms):
        try:
            result = check_plan(dms, plan.number, as_of)
        except NotFound:  # no version of the plan was in force on that day
            continue
        except DmsError as exc:  # one plan that cannot be checked must not hide the others: it is listed itself
            out.append(FollowUp("plan finding", f"plan:{plan.number}:check", "", plan.product,
                                f"{plan.number} could not be checked as of {as_of.isoformat()}: {exc}", None,
                                plan.doc_id, plan.number, extra={"products": (plan.product,), "finding": "error"}))
            continue
        for m in result.milestones:
            for f in m.findings:
                due = f.needed_by or m.milestone.due
                out.append(FollowUp(
                    "plan finding", f"plan:{plan.number}:{m.milestone.key}:{f.kind}:{f.subject}", m.milestone.owner,
                    plan.product, f"{plan.number} {m.milestone.key} {m.milestone.name}: {f.message}", due,
                    result.plan.doc_id, plan.number, overdue=due < as_of,
                    extra={"products": (plan.product,), "milestone": m.milestone.key, "finding": f.kind,
                           "readiness": f.readiness, "subject": f.subject}))
    return out


def _change_requests(dms: Dms, user: str | None) -> list[FollowUp]:
    """With a user: the requests whose next step that user may take; without: every request waiting on a step,
    owned by nobody in particular (the role that takes it is in extra)."""
    from dms.changes.rules import STEPS, next_step
    from dms.changes.waiting import PANELS, waiting_for
    from dms.changes.workflow import listing

    if user is not None:
        try:
            panels = waiting_for(dms, user)
        except NotFound:
            return []
        rows = [(cr, cr["next"], user) for panel in panels.values() for cr in panel]
    else:
        steps = {a for actions in PANELS.values() for a in actions}
        rows = []
        for cr in listing(dms):
            if (step := next_step(cr)) in steps:  # (dms.changes.rules: a rejected or deferred request closes)
                rows.append((cr, step, ""))
    seen, out = set(), []
    for cr, step, owner in rows:
        if cr["number"] in seen:
            continue
        seen.add(cr["number"])
        products = tuple(cr.get("products") or ())
        out.append(FollowUp("change request", f"cr:{cr['number']}", owner, products[0] if products else "",
                            f"{cr['number']} {cr['title']}: waiting to {step} ({cr['state']})", None, None,
                            cr["number"], since=date.fromisoformat(cr["opened"]),
                            extra={"products": products, "step": step, "role": STEPS[step].role,
                                   "state": cr["state"]}))
    return out


def find(dms: Dms, key: str, as_of: date | None = None) -> FollowUp:
    for item in followups(dms, as_of=as_of):
        if item.key == key:
            return item
    raise NotFound(f"no open follow-up has the key {key!r} (see `dms followup --json`)")


def mark_done(dms: Dms, key: str, *, by: str, note: str) -> dict:
    """Take an action or a reply off the list, with a note saying how it was settled. The owner may, and so may
    a coordinator or above."""
    user = acting(dms.catalog, by)
    note = " ".join((note or "").split())
    if not note:
        raise UsageError("say how it was taken care of: --note TEXT")
    if len(note) > MAX_NOTE:
        raise UsageError(f"the note is longer than {MAX_NOTE} characters")
    key = (key or "").strip()
    if key in sql.marks(dms.catalog):
        raise UsageError(f"{key} was already marked done")
    item = find(dms, key)
    if item.kind not in MARKABLE:
        raise UsageError(f"{key} is a {item.kind}: it leaves the list when it is settled where it lives "
                         f"({'the plan or its evidence' if item.kind == 'plan finding' else 'the change workflow'})")
    if not user.at_least("coordinator") and not people(dms, date.today()).owns(
            item.owner, item.extra.get("owner_email", ""), user.name):
        raise PermissionDenied(f"{key} is {item.owner or 'nobody'}'s; its owner or a coordinator marks it done")
    with dms.catalog.transaction():
        at = sql.mark(dms.catalog, key, item.kind, user.name, note)
        subject = f"doc:{item.doc_id}" if item.doc_id is not None else f"followup:{key}"
        audit.record(dms.catalog, user.name, MARKED, subject, {"key": key, "kind": item.kind, "text": item.text,
                                                               "owner": item.owner, "note": note})
    return {"key": key, "kind": item.kind, "text": item.text, "done_by": user.name, "done_at": at, "note": note}


def to_dict(item: FollowUp) -> dict:
    """The --json and API shape of a follow-up."""
    data = asdict(item)
    for k in ("due", "since"):
        data[k] = data[k].isoformat() if data[k] else None
    data["extra"] = {k: list(v) if isinstance(v, tuple) else v for k, v in item.extra.items()}
    return data
