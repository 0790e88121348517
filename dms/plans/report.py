"""A plan check as people and scripts read it: `to_dict` (the --json and API shape) and `lines` (the CLI's text).

    {"plan": {number, revision, product, title, issued, doc_id}, "as_of", "readiness", "exit_code",
     "counts": {"ready": n, "at risk": n, "blocked": n}, "findings": n,
     "milestones": [{key, name, phase, start, due, owner, readiness, moved_by,
                     findings: [{kind, readiness, subject, message, quantity, unit, needed_by, supplier,
                                 evidence: [{doc_id, number, sheet, row, says}]}]}]}
"""

from __future__ import annotations

from dms.errors import READINESS_EXIT
from dms.plans.model import READINESS, CheckResult, Evidence, Finding, MilestoneCheck


def _day(d) -> str | None:
    return d.isoformat() if d else None


def evidence_dict(e: Evidence) -> dict:
    return {"doc_id": e.doc_id, "number": e.number, "sheet": e.sheet, "row": e.row, "says": e.says}


def finding_dict(f: Finding) -> dict:
    return {"milestone": f.milestone, "kind": f.kind, "readiness": f.readiness, "subject": f.subject,
            "message": f.message, "quantity": f.quantity, "unit": f.unit, "needed_by": _day(f.needed_by),
            "supplier": f.supplier, "evidence": [evidence_dict(e) for e in f.evidence]}


def milestone_dict(mc: MilestoneCheck) -> dict:
    m = mc.milestone
    return {"key": m.key, "name": m.name, "phase": m.phase, "start": _day(m.start), "due": _day(m.due),
            "owner": m.owner, "depends_on": list(m.depends_on),
            "deliverables": [d.text or d.number for d in m.deliverables], "readiness": mc.readiness,
            "moved_by": list(mc.moved_by), "findings": [finding_dict(f) for f in mc.findings]}


def to_dict(result: CheckResult) -> dict:
    p = result.plan
    counts = {r: sum(1 for m in result.milestones if m.readiness == r) for r in READINESS}
    return {"plan": {"number": p.number, "revision": p.revision, "product": p.product, "title": p.title,
                     "issued": _day(p.issued), "doc_id": p.doc_id},
            "as_of": result.as_of.isoformat(), "readiness": result.readiness,
            "exit_code": READINESS_EXIT[result.readiness], "counts": counts, "findings": len(result.findings),
            "milestones": [milestone_dict(m) for m in result.milestones]}


def _where(e: Evidence, names: dict[int, str]) -> str:
    at = e.number or names.get(e.doc_id) or (f"doc {e.doc_id}" if e.doc_id is not None else "plan")
    if e.sheet:
        at += f" {e.sheet}"
    if e.row:
        at += f" row {e.row}"
    return at


def evidence_ids(result: CheckResult) -> set[int]:
    return {e.doc_id for f in result.findings for e in f.evidence if e.doc_id is not None and not e.number}


def lines(result: CheckResult, evidence: bool = True, names: dict[int, str] | None = None) -> list[str]:
    """The check as text: a header, then each milestone with its readiness, findings and (indented) evidence;
    `names` (doc id -> file name) names the evidence documents that have no number."""
    names = names or {}
    p = result.plan
    counts = ", ".join(f"{sum(1 for m in result.milestones if m.readiness == r)} {r}" for r in READINESS)
    out = [f"{p.number}{f' Rev {p.revision}' if p.revision else ''}  {p.title}  ({p.product})",
           f"as of {result.as_of}: {result.readiness.upper()}  ({counts})"]
    for mc in result.milestones:
        m = mc.milestone
        moved = f"  moved by {', '.join(mc.moved_by)}" if mc.moved_by else ""
        out.append(f"{m.key:6} {m.due}  {mc.readiness:8} {m.name}{moved}")
        for f in mc.findings:
            out.append(f"         {f.kind}: {f.message}")
            if evidence:
                out += [f"           - {_where(e, names)}: {e.says}" for e in f.evidence]
    return out
