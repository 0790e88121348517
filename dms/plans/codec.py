"""A Plan as JSON and back: the --json of `dms plan show`, the API's shape, and the catalog's cache of parsed
plans (dms.catalog.plans) all use these."""

from __future__ import annotations

from datetime import date

from dms.plans.model import Deliverable, MaterialNeed, Milestone, Plan, StaffNeed


def plan_to_dict(plan: Plan) -> dict:
    """A plan as JSON: the --json of `dms plan show` and the API's."""
    def day(d):
        return d.isoformat() if d else None

    return {
        "number": plan.number, "revision": plan.revision, "product": plan.product, "title": plan.title,
        "issued": day(plan.issued), "doc_id": plan.doc_id, "version_id": plan.version_id,
        "milestones": [{"key": m.key, "name": m.name, "phase": m.phase, "start": day(m.start), "date": day(m.due),
                        "owner": m.owner, "depends_on": list(m.depends_on), "row": m.row,
                        "deliverables": [{"number": d.number, "revision": d.revision, "state": d.state,
                                          "text": d.text} for d in m.deliverables]} for m in plan.milestones],
        "materials": [{"milestone": n.milestone, "part": n.part, "description": n.description,
                       "quantity": n.quantity, "unit": n.unit, "needed_by": day(n.needed_by), "supplier": n.supplier,
                       "row": n.row} for n in plan.materials],
        "staff": [{"milestone": s.milestone, "who": s.who, "hours": s.hours, "from": day(s.start), "to": day(s.end),
                   "row": s.row} for s in plan.staff],
    }


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def plan_from_dict(data: dict) -> Plan:
    """The Plan plan_to_dict made this from."""
    return Plan(
        number=data["number"], revision=data["revision"], product=data["product"], title=data["title"],
        issued=_day(data["issued"]), doc_id=data.get("doc_id"), version_id=data.get("version_id"),
        milestones=tuple(Milestone(m["key"], m["name"], m["phase"], _day(m["start"]), _day(m["date"]), m["owner"],
                                   tuple(Deliverable(d["number"], d["revision"], d["state"], d["text"])
                                         for d in m["deliverables"]), tuple(m["depends_on"]), m["row"])
                         for m in data["milestones"]),
        materials=tuple(MaterialNeed(n["milestone"], n["part"], n["description"], n["quantity"], n["unit"],
                                     _day(n["needed_by"]), n["supplier"], n["row"]) for n in data["materials"]),
        staff=tuple(StaffNeed(s["milestone"], s["who"], s["hours"], _day(s["from"]), _day(s["to"]), s["row"])
                    for s in data["staff"]))
