"""The change-request workflow and its rules, each refusal naming the rule it enforces.

    draft -> submitted -> under review -> assessed -> decided (approved / rejected / deferred)
          -> authorized -> implemented -> closed          (a rejected or deferred request closes from decided)

Every transition runs in one catalog transaction (BEGIN IMMEDIATE), so two users acting at
once are serialised; a caller that read revision N may pass it, and loses nothing: if the
request changed meanwhile it is told so and nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from dms import audit
from dms.app import Dms
from dms.catalog.db import utcnow
from dms.errors import NotDelivered, NotFound, PermissionDenied, RuleBroken, StaleWrite, UsageError
from dms.users import acting

STATES = ("draft", "submitted", "under review", "assessed", "decided", "authorized", "implemented", "closed")
OUTCOMES = ("approved", "rejected", "deferred")
ASSESSMENT = ("relevance", "risks", "benefits", "cost_once", "cost_recurring", "schedule_impact")
EDITABLE = ("title", "products", "affected", "description", "reason", "need_date", "attachments", "milestones",
            *ASSESSMENT)
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


def _row(row) -> ChangeRequest:
    number, title, applicant, state, data, revision = row
    return ChangeRequest(number, title, applicant, state, revision, json.loads(data))


def get(dms: Dms, number: str) -> ChangeRequest:
    row = dms.catalog.conn.execute(
        "SELECT number, title, applicant, state, data, revision FROM change_requests WHERE number = ?",
        (number.upper(),),
    ).fetchone()
    if row is None:
        raise NotFound(f"there is no change request {number.upper()} in the workflow")
    return _row(row)


def _next_number(dms: Dms, year: int) -> str:
    """The next number ([changes] number in the rules): after the counter, and after any the archive already uses."""
    conn = dms.catalog.conn
    row = conn.execute("SELECT last FROM cr_counters WHERE year = ?", (year,)).fetchone()
    if row is None:
        pattern = dms.rules.change_number_regex(year)
        used = [int(m.group(1)) for (n,) in conn.execute(
            "SELECT DISTINCT number FROM versions WHERE number IS NOT NULL UNION SELECT DISTINCT number FROM refs")
            if (m := pattern.match(n))]
        conn.execute("INSERT INTO cr_counters (year, last) VALUES (?, ?)", (year, max(used, default=0)))
    (last,) = conn.execute("UPDATE cr_counters SET last = last + 1 WHERE year = ? RETURNING last", (year,)).fetchone()
    return dms.rules.format_change_number(year, last)


def create(dms: Dms, title: str, by: str, **fields) -> ChangeRequest:
    acting(dms.catalog, by, "viewer")  # anyone with an account may request a change
    if not title.strip():
        raise UsageError("a change request needs a title")
    data = _clean(dms, fields)
    with dms.catalog.transaction():
        number = _next_number(dms, date.today().year)
        now = utcnow()
        dms.catalog.conn.execute(
            "INSERT INTO change_requests (number, title, applicant, state, data, created_at, updated_at) "
            "VALUES (?, ?, ?, 'draft', ?, ?, ?)", (number, title.strip(), by, json.dumps(data), now, now))
        _record(dms, number, by, None, "draft", "created")
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


def edit(dms: Dms, number: str, by: str, expected_revision: int | None = None, **fields) -> ChangeRequest:
    cr = get(dms, number)
    user = acting(dms.catalog, by, "viewer")
    assessment_only = cr.state == "assessed" and fields.keys() <= set(ASSESSMENT)
    if cr.state not in ("draft", "submitted", "under review") and not assessment_only:
        raise RuleBroken(f"{cr.number} is {cr.state}: its fields are fixed once it is assessed and decided")
    if user.name != cr.applicant and not user.at_least("coordinator"):
        raise PermissionDenied(f"only the applicant or a coordinator edits {cr.number}")
    done = _write(dms, cr.number, by, None, expected_revision, _clean(dms, fields), "edited",
                  require=(cr.state,))
    _file(dms, done)
    _deliver_notices(dms)
    return done


def _write(dms, number, by, to_state, expected_revision, changes: dict, note: str,
           require: tuple[str, ...] = STATES, then=None) -> ChangeRequest:
    """Write inside one transaction, re-checking the state there: a concurrent writer cannot slip between.
    `then(dms, request as written)` runs in the same transaction (the decision's notice is queued so)."""
    with dms.catalog.transaction():
        current = get(dms, number)
        if current.state not in require:
            raise StaleWrite(f"{number} is now {current.state}: someone acted on it meanwhile; nothing was changed")
        if expected_revision is not None and expected_revision != current.revision:
            raise StaleWrite(f"{number} was changed by someone else since you read it (revision {expected_revision}, "
                           f"now {current.revision}); reload it and try again")
        data = {**current.data, **changes}
        state = to_state or current.state
        dms.catalog.conn.execute(
            "UPDATE change_requests SET state = ?, data = ?, revision = revision + 1, updated_at = ? "
            "WHERE number = ? AND revision = ?",
            (state, json.dumps(data), utcnow(), number, current.revision))
        _record(dms, number, by, current.state, state, note,
                {k: {"before": current.data.get(k), "after": v} for k, v in changes.items()
                 if current.data.get(k) != v})
        if then:
            then(dms, get(dms, number))
    return get(dms, number)


def _record(dms, number, by, from_state, to_state, note, changed: dict | None = None) -> None:
    dms.catalog.conn.execute(
        "INSERT INTO cr_history (number, at, user, from_state, to_state, note) VALUES (?, ?, ?, ?, ?, ?)",
        (number, utcnow(), by, from_state, to_state, note))
    action = "change request created" if from_state is None else (
        "change request edited" if from_state == to_state else "change request transition")
    audit.record(dms.catalog, by, action, f"change_request:{number}",
                 {"from": from_state, "to": to_state, "note": note, "changed": changed or {}})


def history(dms: Dms, number: str) -> list[dict]:
    cur = dms.catalog.conn.execute(
        "SELECT at, user, from_state, to_state, note FROM cr_history WHERE number = ? ORDER BY id", (number.upper(),))
    return [dict(zip(("at", "user", "from", "to", "note"), row)) for row in cur]


# action -> (from states, to state, least role)
ACTIONS = {
    "submit": (("draft",), "submitted", "viewer"),
    "review": (("submitted",), "under review", "coordinator"),
    "assess": (("under review",), "assessed", "coordinator"),
    "decide": (("assessed",), "decided", "manager"),
    "authorize": (("decided",), "authorized", "manager"),
    "implement": (("authorized",), "implemented", "coordinator"),
    "close": (("implemented", "decided"), "closed", "coordinator"),
}


def transition(dms: Dms, number: str, action: str, by: str, note: str = "", expected_revision: int | None = None,
               **params) -> ChangeRequest:
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; actions are: {', '.join(ACTIONS)}")
    sources, target, role = ACTIONS[action]
    cr = get(dms, number)
    user = acting(dms.catalog, by, role)
    if cr.state not in sources:
        raise RuleBroken(f"cannot {action} {cr.number}: it is {cr.state}, and {action} takes a request that is "
                         f"{' or '.join(sources)}")
    if action == "submit" and user.name != cr.applicant and not user.at_least("coordinator"):
        raise PermissionDenied(f"only the applicant or a coordinator submits {cr.number}")
    changes = {}
    if action == "assess":
        changes = _clean(dms, {k: v for k, v in params.items() if k in ASSESSMENT})
        missing = [k for k in ASSESSMENT if k not in {**cr.data, **changes} or {**cr.data, **changes}[k] in ("", [])]
        if missing:
            raise RuleBroken(f"no decision without a complete assessment: {cr.number} lacks {', '.join(missing)}")
    if action == "decide":
        outcome, rationale = params.get("outcome"), (params.get("rationale") or "").strip()
        if outcome not in OUTCOMES:
            raise UsageError(f"a decision is one of {', '.join(OUTCOMES)}")
        if not rationale:
            raise RuleBroken("a manager decides with a rationale (--rationale)")
        if outcome == "approved" and user.name == cr.applicant:
            raise RuleBroken(f"{user.name} applied for {cr.number} and cannot approve it")
        changes = {"decision": outcome, "rationale": rationale, "decided_by": user.name}
    if action == "authorize":
        if cr.data.get("decision") != "approved":
            raise RuleBroken(f"only an approved request is authorized; {cr.number} was {cr.data.get('decision')}")
        if user.name == cr.applicant:
            raise RuleBroken(f"{user.name} applied for {cr.number} and cannot authorize it")
        effective = params.get("effective_date") or date.today().isoformat()
        changes = {"authorizer": user.name, "authorized_at": utcnow(), "effective_date": str(effective)}
    if action == "close":
        if cr.state == "decided" and cr.data.get("decision") == "approved":
            raise RuleBroken(f"{cr.number} was approved: it closes only after it is authorized and implemented")
        if cr.state == "implemented":
            waivers = {**cr.data.get("waivers", {}), **(params.get("waivers") or {})}
            open_items = [c["number"] for c in check(dms, cr.number, waivers)
                          if not c["amended_by"] and not c["waived"]]
            if open_items:
                raise RuleBroken(f"cannot close {cr.number}: not yet amended by a revision ingested after the "
                                 f"authorization, nor waived: {', '.join(open_items)}")
            changes = {"waivers": waivers}
    done = _write(dms, cr.number, by, target, expected_revision, changes, note or action, require=sources,
                  then=_queue_notice if action == "decide" else None)
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

    cr = get(dms, number)
    waivers = waivers if waivers is not None else cr.data.get("waivers", {})
    since = cr.data.get("authorized_at")
    g = graph_for(dms)
    node = change_node(dms.matcher, cr.number)
    amending = {}
    if node in g:
        for doc, _, data in g.in_edges(node, data=True):
            if data["type"] != "amends":
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
    rows = dms.catalog.conn.execute(
        "SELECT number, title, applicant, state, data, revision, created_at FROM change_requests ORDER BY number"
    ).fetchall()
    out = []
    for row in rows:
        opened = row[6][:10]
        if (since and opened < since) or (until and opened > until):
            continue
        cr = _row(row[:6])
        if state and cr.state != state:
            continue
        if product and product.upper() not in cr.data.get("products", []):
            continue
        if applicant and cr.applicant != applicant:
            continue
        out.append({**cr.to_dict(), "opened": opened})
    return out
