"""The plan check: for every milestone of a plan, the materials short on their need-by date, the people and roles
absent or over capacity in their period, the deliverables not on file in time and the dependencies blocked;
each finding cites the rows of evidence it rests on, and each milestone gets its readiness (its worst finding).

`check` is pure (a Plan, the Supply in force, what is OnFile, a date, the rules: no I/O); `check_plan` reads
those from the archive and calls it.

Materials, per part and unit, needs in order (needed by, milestone order, row):
    available_i = on hand (the latest stock row dated by as_of)
                + open order lines due after that stock row's date and by needed_by_i
                - the needs before and including i
    shortage_i  = min(need_i, max(0, -available_i))
Staff, over working days (Mon-Fri): a person's hours in a period are their working days there not absent
times hours per week / 5; a need loads a period with the share of its own working days falling in it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date

from dms.errors import PlanError
from dms.plans.capacity import People, norm, share, weekdays
from dms.plans.deliverables import OnFile
from dms.plans.model import (
    READINESS,
    CheckResult,
    Evidence,
    Finding,
    MilestoneCheck,
    OrderRow,
    Plan,
    Source,
    StaffNeed,
    StockRow,
    Supply,
)
from dms.rules.plans import PlanRules

EPS = 1e-6  # quantities and hours are compared with this slack (running sums round)
CITED = 10  # rows of one kind a finding cites by name (the nearest); the rest are summed up in one line


def check(plan: Plan, supply: Supply, on_file: OnFile, as_of: date, rules: PlanRules,
          moved_by: dict[str, tuple[str, ...]] | None = None) -> CheckResult:
    found: dict[str, list[Finding]] = {m.key: [] for m in plan.milestones}
    strays = [(sheet, n.row, "Milestone", f"no milestone {n.milestone!r} in the plan")
              for sheet, needs in (("Materials", plan.materials), ("Staff", plan.staff))
              for n in needs if n.milestone not in found]
    if strays:  # read_workbook refuses these; a Plan built otherwise must not lose findings silently
        raise PlanError(strays, plan.number)
    for finding in (*_materials(plan, supply, as_of, rules), *_staff(plan, supply), *_deliverables(plan, on_file,
                                                                                                    as_of)):
        found[finding.milestone].append(finding)
    blocked = {key for key, fs in found.items() if any(f.readiness == "blocked" for f in fs)}
    by_key = {m.key: m for m in plan.milestones}
    for m in plan.milestones:
        for dep in m.depends_on:
            if dep in blocked:
                d = by_key[dep]
                why = ", ".join(sorted({f.kind for f in found[dep] if f.readiness == "blocked"}))
                found[m.key].append(Finding(m.key, "dependency", dep, f"depends on {dep} ({d.name}), which is "
                                            f"blocked ({why})", (_plan_ev(plan, "Milestones", d.row,
                                                                          f"{dep} {d.name} due {d.due}"),)))
    moved_by = moved_by or {}
    checks = []
    for m in plan.milestones:
        fs = tuple(found[m.key])
        readiness = max((f.readiness for f in fs), key=READINESS.index, default="ready")
        moved = moved_by.get(f"{plan.number}:{m.key}".upper()) or moved_by.get(m.key) or ()
        checks.append(MilestoneCheck(m, readiness, fs, tuple(moved)))
    return CheckResult(plan, as_of, tuple(checks))


_memo: dict[tuple, CheckResult] = {}
MEMO_SIZE = 64  # checks remembered per process: the start page, /plans and /followup check every plan per visit


def check_plan(dms, number: str, as_of: date | None = None) -> CheckResult:
    """The plan version in force on as_of (default today), checked against the evidence in force that day.
    Remembered until a document, a change request, an audited action or the rules change."""
    from dms.catalog.plans import last_change
    from dms.graph.stamp import stamp
    from dms.plans.deliverables import for_plan
    from dms.plans.library import load_plan
    from dms.supply.evidence import supply_on

    day = as_of or date.today()
    key = (str(dms.settings.home), number.strip().upper(), as_of, day, stamp(dms), last_change(dms.catalog),
           repr(dms.rules.plans))
    if key in _memo:
        return _memo[key]
    plan = load_plan(dms, number, as_of)
    result = check(plan, supply_on(dms, day), for_plan(dms, plan), day, dms.rules.plans,
                   moved_by(dms, plan.number, day))
    if len(_memo) >= MEMO_SIZE:
        _memo.pop(next(iter(_memo)))
    _memo[key] = result
    return result


def moved_by(dms, number: str, as_of: date | None = None) -> dict[str, tuple[str, ...]]:
    """PLAN:KEY -> the change requests whose `milestones` field names it (any state but closed-rejected), of
    those opened by as_of (a request's field as it stands now: its history is in the audit log)."""
    from dms.changes.workflow import listing

    out: dict[str, list[str]] = defaultdict(list)
    for cr in listing(dms, until=as_of.isoformat() if as_of else None):
        if cr["state"] == "closed" and cr.get("decision") == "rejected":
            continue
        for ref in cr.get("milestones", []):
            if ref.split(":", 1)[0] == number.upper():
                out[ref].append(cr["number"])
    return {k: tuple(v) for k, v in out.items()}


# -- evidence ---------------------------------------------------------------------------------------------
def _ev(source: Source, says: str) -> Evidence:
    return Evidence(source.doc_id, source.number, source.sheet, source.row, says)


def _plan_ev(plan: Plan, sheet: str, row: int, says: str) -> Evidence:
    return Evidence(plan.doc_id, plan.number, sheet, row, says)


def _q(x: float) -> str:
    return f"{round(x, 3):g}"


# -- materials --------------------------------------------------------------------------------------------
def _latest_stock(supply: Supply, as_of: date) -> dict[str, StockRow]:
    best: dict[str, StockRow] = {}
    for r in supply.stock:
        if r.as_of > as_of:
            continue
        key = (r.as_of, r.source.doc_date or date.min, r.source.doc_id)
        have = best.get(r.part)
        if have is None or key > (have.as_of, have.source.doc_date or date.min, have.source.doc_id):
            best[r.part] = r
    return best


def _materials(plan: Plan, supply: Supply, as_of: date, rules: PlanRules):
    closed = set(rules.closed_statuses)
    stock = _latest_stock(supply, as_of)
    orders: dict[str, list[OrderRow]] = defaultdict(list)
    for o in supply.orders:
        if o.ordered is None or o.ordered <= as_of:
            orders[o.part].append(o)
    rank = {m.key: i for i, m in enumerate(plan.milestones)}
    needs = defaultdict(list)
    for n in plan.materials:
        needs[(n.part, n.unit)].append(n)
    for (part, unit), group in needs.items():
        group.sort(key=lambda n: (n.needed_by, rank.get(n.milestone, 0), n.row))
        st = stock.get(part)
        everyone = orders.get(part, [])
        open_lines = [o for o in everyone if (o.status or "open").lower() not in closed]
        usable = st if st is not None and st.unit == unit else None
        lines = [o for o in open_lines if o.unit == unit]
        if usable is None and not lines:
            why = _no_data_reason(part, unit, st, open_lines)
            other = [_ev(st.source, f"on hand {_q(st.on_hand)} {st.unit} on {st.as_of}")] if st else []
            other += [_ev(o.source, f"{o.order}: {_q(o.quantity)} {o.unit} due {o.due} ({o.status or 'open'})")
                      for o in open_lines]
            for n in group:
                need = _plan_ev(plan, "Materials", n.row, f"{n.milestone} needs {_q(n.quantity)} {unit} of {part} "
                                                          f"by {n.needed_by}")
                yield Finding(n.milestone, "no stock data", part, why, (need, *other), n.quantity, unit, n.needed_by,
                              n.supplier)
            continue
        on_hand = usable.on_hand if usable else 0.0
        since = usable.as_of if usable else None
        eligible = sorted((o for o in lines if since is None or o.due > since), key=lambda o: (o.due, o.order))
        dues = [o.due for o in eligible]
        arriving = [0.0]
        for o in eligible:
            arriving.append(arriving[-1] + o.quantity)
        latest_order = max(everyone, key=lambda o: (o.ordered or date.min, o.due, o.source.doc_id), default=None)
        consumed = 0.0
        for i, n in enumerate(group):
            k = bisect_right(dues, n.needed_by)
            consumed += n.quantity
            short = min(n.quantity, max(0.0, consumed - on_hand - arriving[k]))
            if short <= EPS:
                continue
            supplier = n.supplier or (latest_order.supplier if latest_order else "") or (st.supplier if st else "")
            ev = []
            if usable:
                ev.append(_ev(usable.source, f"on hand {_q(on_hand)} {unit} on {since}"))
            elif st:
                ev.append(_ev(st.source, f"on hand {_q(st.on_hand)} {st.unit} on {st.as_of}: another unit than "
                                         f"{unit}, not counted"))
            counted, late, earlier = eligible[:k], eligible[k:], group[:i]
            ev += _cited([_ev(o.source, f"{o.order}: {_q(o.quantity)} {unit} due {o.due} ({o.status or 'open'}), "
                                        "counted") for o in counted[-CITED:]],
                         len(counted), arriving[k], unit, "more order lines, counted")
            ev += _cited([_ev(o.source, f"{o.order}: {_q(o.quantity)} {unit} due {o.due}, after the need date "
                                        f"{n.needed_by}: not counted") for o in late[:CITED]],
                         len(late), arriving[-1] - arriving[k], unit, "more order lines due later")
            ev += _cited([_plan_ev(plan, "Materials", e.row, f"{e.milestone} takes {_q(e.quantity)} {unit} by "
                                                             f"{e.needed_by}") for e in earlier[-CITED:]],
                         len(earlier), consumed - n.quantity, unit, "earlier needs")
            name = f"{n.description} {part}" if n.description else part
            message = (f"{name}: {_q(short)} {unit} short on {n.needed_by} (need {_q(n.quantity)}; on hand "
                       f"{_q(on_hand)}{f' on {since}' if since else ''}; on order in time {_q(arriving[k])}; "
                       f"earlier milestones take {_q(consumed - n.quantity)})")
            yield Finding(n.milestone, "shortage", part, message, tuple(ev), short, unit, n.needed_by, supplier)


def _cited(cited: list[Evidence], total: int, amount: float, unit: str, what: str) -> list[Evidence]:
    """The nearest rows cited one by one; when there are more, one line saying how many and how much in all (a
    part needed by a thousand milestones must not make each shortage cite a thousand rows)."""
    if total > len(cited):
        cited.append(Evidence(None, None, "", 0, f"{total - len(cited)} {what} not listed ({total} in all, "
                                                 f"{_q(amount)} {unit} together)"))
    return cited


def _no_data_reason(part: str, unit: str, st: StockRow | None, lines: list[OrderRow]) -> str:
    other = sorted({r.unit for r in ([st] if st else []) + lines})
    if other:
        return (f"{part}: no stock data in {unit}: the stock report and orders count it in {', '.join(other)}, "
                f"another unit than the plan's {unit}")
    return f"{part}: no stock report or open purchase order names it"


# -- staff ------------------------------------------------------------------------------------------------
def _need_ev(plan: Plan, n: StaffNeed) -> Evidence:
    return _plan_ev(plan, "Staff", n.row, f"{n.milestone} needs {n.who} {_q(n.hours)} h {n.start} to {n.end}")


def _absence_ev(ppl: People, p: str, a: date, b: date) -> list[Evidence]:
    return [_ev(r.source, f"{r.person} {r.kind or 'absent'} {r.start} to {r.end}") for r in ppl.absences_in(p, a, b)]


def _roster_ev(ppl: People, p: str) -> Evidence:
    r = ppl.people[p]
    return _ev(r.source, f"{r.person}, {r.role}: {_q(r.hours_per_week)} h/week")


def _staff(plan: Plan, supply: Supply):
    if not plan.staff:
        return
    ppl = People(plan, supply)
    for n in plan.staff:
        who = norm(n.who)
        if who in ppl.people:
            yield from _person(plan, ppl, n, who)
        elif who in ppl.roles:
            yield from _role(plan, ppl, n, who)
        else:
            yield Finding(n.milestone, "unknown person", n.who, f"{n.who}: the roster names no such person or role",
                          (_need_ev(plan, n),))


def _person(plan: Plan, ppl: People, n: StaffNeed, p: str):
    a, b = n.start, n.end
    days, absent = weekdays(a, b), ppl.absent_days(p, a, b)
    if days and absent == days:  # no hours at all: that is the finding, not an overload besides
        yield Finding(n.milestone, "absent throughout", n.who, f"{n.who}: absent on every working day from {a} to "
                      f"{b} ({days} days)", (_need_ev(plan, n), *_absence_ev(ppl, p, a, b)), needed_by=a)
        return
    if absent:
        yield Finding(n.milestone, "absent", n.who, f"{n.who}: absent {absent} of {days} working days from {a} to "
                      f"{b}", (_need_ev(plan, n), *_absence_ev(ppl, p, a, b)), needed_by=a)
    load, have = ppl.load(p, a, b), ppl.hours(p, a, b)
    if load > have + EPS:
        overlapping = [o for o in ppl.named[p] if share(o, a, b) > 0]
        loading = _cited([_need_ev(plan, o) for o in overlapping[:CITED]], len(overlapping), load, "h",
                         "more needs in the period")
        away = f", absent {absent} working days" if absent else ""
        yield Finding(n.milestone, "over capacity", n.who,
                      f"{n.who}: {_q(load)} h needed from {a} to {b}, {_q(have)} h available "
                      f"({_q(ppl.people[p].hours_per_week)} h/week{away})",
                      (_roster_ev(ppl, p), *_absence_ev(ppl, p, a, b), *loading), load - have, "h", a)


def _role(plan: Plan, ppl: People, n: StaffNeed, role: str):
    a, b = n.start, n.end
    members = ppl.roles[role]
    pool, load = ppl.role_pool(role, a, b), ppl.role_load(role, a, b)
    if load > pool + EPS:
        ev = _cited([_roster_ev(ppl, p) for p in members[:CITED]], len(members), pool, "h",
                    "more people of the role (their free hours)")
        ev += [e for p in members[:CITED] for e in _absence_ev(ppl, p, a, b)]
        needs = [o for o in ppl.by_role[role] if share(o, a, b) > 0]
        needs += [o for p in members for o in ppl.named.get(p, ()) if share(o, a, b) > 0]
        ev += _cited([_need_ev(plan, o) for o in needs[:CITED]], len(needs), load, "h", "more needs in the period")
        yield Finding(n.milestone, "over capacity", n.who,
                      f"{n.who} ({len(members)} people): {_q(load)} h needed from {a} to {b}, {_q(pool)} h free "
                      "after their named work and absences", tuple(ev), load - pool, "h", a)


# -- deliverables -----------------------------------------------------------------------------------------
def _deliverables(plan: Plan, on_file: OnFile, as_of: date):
    for m in plan.milestones:
        by = min(m.due, as_of)
        for d in m.deliverables:
            doc = on_file.filed(d.number, d.revision, by)
            wants_approval = (d.state or "").strip().lower() == "approved"
            decision = on_file.approved(d.number, by) if wants_approval else None
            if doc is not None and (decision is not None or not wants_approval):
                continue
            kind = "deliverable missing" if m.due < as_of else "deliverable pending"
            name = d.text or " ".join(x for x in (d.number, f"Rev {d.revision}" if d.revision else "", d.state or "")
                                      if x)
            ev = [_plan_ev(plan, "Milestones", m.row, f"{m.key} {m.name} needs {name} by {m.due}")]
            why = []
            if doc is None:
                latest = on_file.latest(d.number, as_of)
                if latest is None:
                    why.append(f"no document {d.number} on file")
                else:
                    rev = f" Rev {latest.revision}" if latest.revision else ""
                    ev.append(Evidence(latest.doc_id, latest.number, "", 0, f"{latest.number}{rev} dated "
                                       f"{latest.effective}"))
                    why.append(f"{latest.number}{rev} dated {latest.effective} is the latest on file")
            if wants_approval and decision is None:
                standing = on_file.standing(d.number, as_of)
                if standing is None:
                    why.append("no approval decision on file")
                else:
                    ev.append(Evidence(standing.doc_id, d.number, "", 0, standing.says))
                    why.append(f"decided {standing.outcome} on {standing.day}" if standing.outcome != "approved"
                               else f"approved only on {standing.day}")
            what = "not on file" if doc is None else "not approved"
            yield Finding(m.key, kind, d.number, f"{name}: {what} by {by} ({'; '.join(why)})", tuple(ev),
                          needed_by=m.due)
