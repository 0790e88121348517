"""The change-request workflow and its rules, each refusal naming the rule it enforces.

    draft -> submitted -> under review -> assessed -> decided (approved / rejected / deferred)
          -> authorized -> implemented -> closed          (a rejected or deferred request closes from decided)

Who may take which action in which state, and why a refused one is refused, is written once, in
dms.changes.rules; this module enforces it. Every transition runs in one catalog transaction (BEGIN
IMMEDIATE), so two users acting at once are serialised: the state is re-checked inside it, and the update
matches the revision checked. A caller that read revision N may pass it, and loses nothing: if the request
changed meanwhile it is told so and nothing is written. The statements are in dms.catalog.changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from dms import audit, auditactions
from dms.app import Dms
from dms.catalog import changes as sql
from dms.catalog.db import utcnow
from dms.changes import rules
from dms.changes.rules import ASSESSMENT, EDITABLE, OUTCOMES, STATES, STEPS
from dms.errors import NotDelivered, NotFound, RuleBroken, StaleWrite, UsageError
from dms.users import acting

__all__ = ["ASSESSMENT", "EDITABLE", "OUTCOMES", "STATES", "STEPS", "ChangeRequest", "check", "create", "edit",
           "get", "history", "listing", "milestone_ref", "transition"]
# a plan milestone a request moves (its schedule impact): PLAN-NUMBER:KEY, e.g. PLAN-KX200-2025:M3
MILESTONE_REF = re.compile(r"\s*([^\s:/#]+)\s*[:/#]\s*([^:/#]*[^\s:/#])\s*")


@dataclass
class ChangeRequest:
    number: str
    title: str
    applicant: str
    state: str
    revision: int
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"number": self.number, "title": self.title, "applicant": self.applicant, "state": self.state,
                "revision": self.revision, **self.data}


def _request(row: sql.RequestRow) -> ChangeRequest:
    return ChangeRequest(row.number, row.title, row.applicant, row.state, row.revision, row.data)


def get(dms: Dms, number: str) -> ChangeRequest:
    row = sql.request(dms.catalog, number.upper())
    if row is None:
        raise NotFound(f"there is no change request {number.upper()} in the workflow")
    return _request(row)


def _next_number(dms: Dms, year: int) -> str:
    """The next number ([changes] number in the rules): after the counter, and after any the archive already uses.
    Inside the transaction that inserts the request, so a failure gives the number back."""
    serial = sql.next_serial(dms.catalog, year, dms.rules.change_number_regex(year))
    return dms.rules.format_change_number(year, serial)


def create(dms: Dms, title: str, by: str, **fields) -> ChangeRequest:
    acting(dms.catalog, by, "viewer")  # anyone with an account may request a change
    if not title.strip():
        raise UsageError("a change request needs a title")
    data = _clean(dms, fields)
    with dms.catalog.transaction():
        number = _next_number(dms, date.today().year)
        sql.insert_request(dms.catalog, number, title.strip(), by, STATES[0], data, utcnow())
        _record(dms, number, by, None, STATES[0], "created")
    cr = get(dms, number)
    _file(dms, cr)
    _deliver_notices(dms)
    return cr


def _file(dms: Dms, cr: ChangeRequest) -> None:
    from dms.changes.archive import file_request

    file_request(dms, cr)


def _clean(dms: Dms, fields: dict) -> dict:
    data = {}
    for key, value in fields.items():
        if value in (None, (), []):
            continue
        if key not in EDITABLE:
            raise UsageError(f"unknown field {key!r}; fields are: {', '.join(EDITABLE)}")
        if key in ("cost_once", "cost_recurring"):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise UsageError(f"{key} must be a number (EUR), not {value!r}") from None
            if value < 0:
                raise UsageError(f"{key} cannot be negative")
        if key == "risks":
            value = [_risk(r) for r in value]
        if key in ("products", "affected"):
            value = [str(v).strip().upper() for v in value if str(v).strip()]
        if key == "attachments":
            value = [_archived(dms, ref) for ref in value]
        if key == "milestones":
            value = [_known_milestone(dms, milestone_ref(v)) for v in value if str(v).strip()]
        data[key] = value
    return data


def milestone_ref(value) -> str:
    """A milestone reference as people write it (`plan-kx200-2025 / m3`) in its normal form PLAN-KX200-2025:M3."""
    m = MILESTONE_REF.fullmatch(str(value))
    if not m:
        raise UsageError(f"a moved milestone is written PLAN-NUMBER:KEY (e.g. PLAN-KX200-2025:M3), not {value!r}")
    return f"{m.group(1).upper()}:{m.group(2).upper()}"


def _known_milestone(dms: Dms, ref: str) -> str:
    """The reference, if it names a milestone of a plan on file (its current revision); else a UsageError saying
    which milestones there are: a typo must not link nothing silently."""
    from dms.plans.library import load_plan

    number, key = ref.split(":", 1)
    try:
        plan = load_plan(dms, number)
    except (NotFound, UsageError):
        raise UsageError(f"moved milestone {ref}: there is no plan {number} on file that reads (dms plan list)") \
            from None
    keys = {m.key.upper(): m.key for m in plan.milestones}
    if key not in keys:
        raise UsageError(f"moved milestone {ref}: {number} has no milestone {key} (its milestones: "
                         f"{', '.join(m.key for m in plan.milestones)})")
    return f"{number}:{keys[key].upper()}"


def _archived(dms: Dms, ref) -> dict:
    """An attachment is a document already in the archive: kept as its id, path and SHA-256."""
    from dms.documents import resolve

    doc = resolve(dms, str(ref))
    return {"id": doc.id, "path": doc.path, "sha256": doc.version.sha256}


def _risk(raw) -> dict:
    if isinstance(raw, dict):
        text, likelihood, severity = raw.get("risk", ""), raw.get("likelihood"), raw.get("severity")
    else:
        m = re.fullmatch(r"\s*(.+?)\s*:\s*(\d)\s*:\s*(\d)\s*", str(raw))
        if not m:
            raise UsageError(f"a risk is written TEXT:LIKELIHOOD:SEVERITY with both from 1 to 5, not {raw!r}")
        text, likelihood, severity = m.group(1), m.group(2), m.group(3)
    likelihood, severity = int(likelihood), int(severity)
    if not (1 <= likelihood <= 5 and 1 <= severity <= 5):
        raise UsageError("risk likelihood and severity go from 1 to 5")
    return {"risk": text, "likelihood": likelihood, "severity": severity}


def edit(dms: Dms, number: str, by: str, expected_revision: int | None = None, dry_run: bool = False,
         **fields) -> ChangeRequest:
    """Change the request's fields, as far as dms.changes.rules lets this user (`editable_fields`).
    `dry_run`: check and write everything in a transaction that is rolled back; return the request as it would
    be (nothing is filed, nothing stays)."""
    cr = get(dms, number)
    user = acting(dms.catalog, by, "viewer")
    rules.enforce(cr, user, rules.EDIT)
    rules.check_edit(cr, {k: v for k, v in fields.items() if v not in (None, (), [])}, user)
    done = _write(dms, cr.number, by, None, expected_revision, _clean(dms, fields), "edited",
                  require=(cr.state,), dry_run=dry_run)
    if dry_run:
        return done
    _file(dms, done)
    _deliver_notices(dms)
    return done


def _write(dms, number, by, to_state, expected_revision, changes: dict, note: str,
           require: tuple[str, ...] = STATES, then=None, dry_run: bool = False) -> ChangeRequest:
    """Write inside one transaction, re-checking the state there: a concurrent writer cannot slip between, and
    the update matches the revision checked (dms.catalog.changes.update_request).
    `then(dms, request as written)` runs in the same transaction (the decision's notice is queued so).
    `dry_run`: all of it in a transaction that is rolled back (dms.catalog.changes.trial)."""
    with sql.trial(dms.catalog) if dry_run else dms.catalog.transaction():
        current = get(dms, number)
        if current.state not in require:
            raise StaleWrite(f"{number} is now {current.state}: someone acted on it meanwhile; nothing was changed")
        if expected_revision is not None and expected_revision != current.revision:
            raise StaleWrite(f"{number} was changed by someone else since you read it (revision {expected_revision}, "
                           f"now {current.revision}); reload it and try again")
        data = {**current.data, **changes}
        state = to_state or current.state
        sql.update_request(dms.catalog, number, current.revision, state, data, utcnow())
        _record(dms, number, by, current.state, state, note,
                {k: {"before": current.data.get(k), "after": v} for k, v in changes.items()
                 if current.data.get(k) != v})
        written = get(dms, number)
        if then:
            then(dms, written)
    return written


def _record(dms, number, by, from_state, to_state, note, changed: dict | None = None) -> None:
    """Inside the write's transaction: its step in the request's history, and in the audit log."""
    sql.add_history(dms.catalog, number, utcnow(), by, from_state, to_state, note)
    action = auditactions.CHANGE_REQUEST_CREATED if from_state is None else (
        auditactions.CHANGE_REQUEST_EDITED if from_state == to_state else auditactions.CHANGE_REQUEST_TRANSITION)
    audit.record(dms.catalog, by, action, f"change_request:{number}",
                 {"from": from_state, "to": to_state, "note": note, "changed": changed or {}})


def history(dms: Dms, number: str) -> list[dict]:
    return [{"at": h.at, "user": h.user, "from": h.from_state, "to": h.to_state, "note": h.note}
            for h in sql.history(dms.catalog, number.upper())]


def transition(dms: Dms, number: str, action: str, by: str, note: str = "", expected_revision: int | None = None,
               dry_run: bool = False, **params) -> ChangeRequest:
    """Take a step of the workflow (one of STEPS), if dms.changes.rules lets this user take it now.
    `dry_run`: check and write everything in a transaction that is rolled back; return the request as it would
    be (nothing is filed, no notice sent, nothing stays)."""
    if action not in STEPS:
        raise UsageError(f"unknown action {action!r}; actions are: {', '.join(STEPS)}")
    step = STEPS[action]
    cr = get(dms, number)
    user = acting(dms.catalog, by, "viewer")
    rules.enforce(cr, user, action)
    changes = {}
    if action == "assess":
        changes = _clean(dms, {k: v for k, v in params.items() if k in ASSESSMENT})
        if missing := rules.missing_assessment({**cr.data, **changes}):
            raise RuleBroken(f"no decision without a complete assessment: {cr.number} lacks {', '.join(missing)}")
        changes["assessed_by"] = user.name
    if action == "decide":
        outcome, rationale = params.get("outcome"), (params.get("rationale") or "").strip()
        rules.check_decision(cr, user, outcome, rationale)
        changes = {"decision": outcome, "rationale": rationale, "decided_by": user.name}
    if action == "authorize":
        effective = params.get("effective_date") or date.today().isoformat()
        changes = {"authorizer": user.name, "authorized_at": utcnow(), "effective_date": str(effective)}
    if action == "close":
        rules.check_waivers(cr, user, params.get("waivers"))
        if cr.state == "implemented":
            waivers = {**cr.data.get("waivers", {}), **(params.get("waivers") or {})}
            open_items = [c["number"] for c in check(dms, cr.number, waivers)
                          if not c["amended_by"] and not c["waived"]]
            if open_items:
                raise RuleBroken(f"cannot close {cr.number}: not yet amended by a revision ingested after the "
                                 f"authorization, nor waived: {', '.join(open_items)}")
            changes = {"waivers": waivers}
    done = _write(dms, cr.number, by, step.target, expected_revision, changes, note or action, require=step.sources,
                  then=_queue_notice if action == "decide" else None, dry_run=dry_run)
    if dry_run:
        return done
    try:
        _file(dms, done)
    finally:
        tried = _deliver_notices(dms)
    for notice in tried:
        if notice.number == done.number and notice.delivered_at is None:
            raise NotDelivered(f"{done.number} is {done.state} and on record; its notice was not delivered yet and "
                               f"waits in the outbox (`dms change notices --retry`): {notice.last_error}")
    return done


def _queue_notice(dms: Dms, cr: ChangeRequest) -> None:
    """Inside the decision's transaction: the notice to the applicant goes into the outbox with it."""
    from dms.catalog import outbox
    from dms.changes.archive import compose_notice

    name, message = compose_notice(dms, cr)
    outbox.add(dms.catalog, cr.number, name, message)


def _deliver_notices(dms: Dms) -> list:
    """Every change command also delivers the notices still waiting (after a crash or a failed send)."""
    from dms.changes.notify import deliver_pending

    return deliver_pending(dms)


def check(dms: Dms, number: str, waivers: dict | None = None) -> list[dict]:
    """Each affected document: the revision that amends this request (ingested after authorization), or its waiver."""
    from dms.graph import graph_for
    from dms.graph.build import change_node
    from dms.graph.linktypes import AMENDS

    cr = get(dms, number)
    waivers = waivers if waivers is not None else cr.data.get("waivers", {})
    since = cr.data.get("authorized_at")
    g = graph_for(dms)
    node = change_node(dms.matcher, cr.number)
    amending = {}
    if node in g:
        for doc, _, data in g.in_edges(node, data=True):
            if data["type"] != AMENDS:
                continue
            attrs = g.nodes[doc]
            ingested = dms.catalog.document(attrs["id"]).version.ingested_at
            if since and ingested >= since and attrs.get("number"):
                amending[attrs["number"]] = {"id": attrs["id"], "revision": attrs.get("revision"),
                                             "path": attrs["path"]}
    return [{"number": n, "amended_by": amending.get(n), "waived": waivers.get(n)} for n in cr.data.get("affected", [])]


def listing(dms: Dms, state: str | None = None, product: str | None = None, applicant: str | None = None,
            since: str | None = None, until: str | None = None) -> list[dict]:
    for bound in (since, until):
        if bound is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", bound):
            raise UsageError(f"dates are written YYYY-MM-DD, not {bound!r}")
    out = []
    for row in sql.requests(dms.catalog):
        opened = row.created_at[:10]
        if (since and opened < since) or (until and opened > until):
            continue
        cr = _request(row)
        if state and cr.state != state:
            continue
        if product and product.upper() not in cr.data.get("products", []):
            continue
        if applicant and cr.applicant != applicant:
            continue
        out.append({**cr.to_dict(), "opened": opened})
    return out
