"""The plan check: every rule against plans and evidence built by hand, with the expected figures worked out by hand
(in the comments); then what is on file read from a real archive, and `dms plan check` end to end."""

from __future__ import annotations

from datetime import date

import pytest

from dms.plans.capacity import weekdays
from dms.plans.check import check
from dms.plans.deliverables import Decision, FiledDoc, OnFile
from dms.plans.model import (
    AbsenceRow,
    Deliverable,
    MaterialNeed,
    Milestone,
    OrderRow,
    Plan,
    RosterRow,
    Source,
    StaffNeed,
    StockRow,
    Supply,
)
from dms.plans.report import lines, to_dict
from dms.rules import load_rules

RULES = load_rules().plans
D = date.fromisoformat


def src(doc_id: int, row: int, number: str = "RPT-STOCK-1", sheet: str = "Stock", doc_date: str | None = None):
    return Source(doc_id, doc_id * 10, number, sheet, row, D(doc_date) if doc_date else None)


def ms(key: str, due: str, start: str | None = None, deliverables=(), depends_on=(), row=2) -> Milestone:
    return Milestone(key, f"milestone {key}", "Development", D(start) if start else None, D(due), "anna",
                     tuple(deliverables), tuple(depends_on), row)


def plan_of(milestones, materials=(), staff=()) -> Plan:
    return Plan("PLAN-KX200-2025", "A", "KX200", "Kettle plan", D("2024-11-01"), tuple(milestones),
                tuple(materials), tuple(staff), doc_id=7, version_id=70)


def by_kind(result, kind):
    return [f for f in result.findings if f.kind == kind]


# -- materials ---------------------------------------------------------------------------------------------
def order(po, qty, due, status="open", supplier="Acme Parts", ordered="2024-12-01", part="LH-200", doc=50, row=2,
          unit="pcs"):
    return OrderRow(po, part, qty, unit, D(due), supplier, status, D(ordered), src(doc, row, po, "Orders", ordered))


@pytest.fixture
def hinge():
    """LH-200: 500 on hand on 2025-01-10 (an older count of 900 is superseded, a count dated after the check is not
    yet known). Open orders: PO-1 300 due 01-20, PO-2 200 due 02-20; PO-3 was due before the count (in it), PO-4
    was received, PO-5 was ordered after the check's date. Needs: M1 400 by 01-15, M2 500 by 02-01, M3 300 by 03-01."""
    stock = (StockRow("LH-200", 900, "pcs", D("2024-12-01"), src(11, 4, doc_date="2024-12-01")),
             StockRow("LH-200", 500, "pcs", D("2025-01-10"), src(12, 4, "RPT-STOCK-2", doc_date="2025-01-10"),
                      supplier="Stock Supplier"),
             StockRow("LH-200", 5000, "pcs", D("2025-03-01"), src(13, 4, "RPT-STOCK-3", doc_date="2025-03-01")))
    orders = (order("PO-1", 300, "2025-01-20", doc=51), order("PO-2", 200, "2025-02-20", ordered="2024-12-20", doc=52),
              order("PO-3", 1000, "2025-01-05", doc=53),
              order("PO-4", 400, "2025-01-25", status="received", supplier="Helix Components", ordered="2025-01-02",
                    doc=54),
              order("PO-5", 1000, "2025-01-30", ordered="2025-01-20", doc=55))
    milestones = [ms("M1", "2025-01-20", row=2), ms("M2", "2025-02-05", row=3), ms("M3", "2025-03-05", row=4)]
    needs = [MaterialNeed("M1", "LH-200", "lid hinge", 400, "pcs", D("2025-01-15"), row=2),
             MaterialNeed("M2", "LH-200", "lid hinge", 500, "pcs", D("2025-02-01"), row=3),
             MaterialNeed("M3", "LH-200", "lid hinge", 300, "pcs", D("2025-03-01"), supplier="Plan Supplier", row=4)]
    return plan_of(milestones, needs), Supply(stock=stock, orders=orders)


def test_a_shortage_counts_stock_orders_due_in_time_and_what_earlier_milestones_consume(hinge):
    plan, supply = hinge
    result = check(plan, supply, OnFile(), D("2025-01-15"), RULES)
    # M1: 500 + 0 - 400 = 100; M2: 500 + 300 (PO-1) - 900 = -100; M3: 500 + 300 + 200 - 1200 = -200 (of 300 needed)
    assert [(f.milestone, f.quantity) for f in by_kind(result, "shortage")] == [("M2", 100), ("M3", 200)]
    assert [m.readiness for m in result.milestones] == ["ready", "blocked", "blocked"]
    m2 = by_kind(result, "shortage")[0]
    assert m2.subject == "LH-200" and m2.unit == "pcs" and m2.needed_by == D("2025-02-01")
    assert m2.message.startswith("lid hinge LH-200: 100 pcs short on 2025-02-01 (need 500")
    assert [(e.doc_id, e.row, e.says) for e in m2.evidence] == [
        (12, 4, "on hand 500 pcs on 2025-01-10"),
        (51, 2, "PO-1: 300 pcs due 2025-01-20 (open), counted"),
        (52, 2, "PO-2: 200 pcs due 2025-02-20, after the need date 2025-02-01: not counted"),
        (7, 2, "M1 takes 400 pcs by 2025-01-15")]
    assert m2.evidence[-1].number == "PLAN-KX200-2025" and m2.evidence[-1].sheet == "Materials"
    # the supplier: the plan's (M3), else the latest order row's (PO-4, received but the latest ordered)
    assert m2.supplier == "Helix Components" and by_kind(result, "shortage")[1].supplier == "Plan Supplier"


def test_a_later_purchase_order_resolves_the_shortage_only_once_it_is_known(hinge):
    plan, supply = hinge
    # on 2025-01-20 PO-5 (1000 due 01-30) is known: M2 500 + 300 + 1000 - 900 >= 0, M3 1500 + 200 - 1200 >= 0
    assert by_kind(check(plan, supply, OnFile(), D("2025-01-20"), RULES), "shortage") == []


def test_a_stock_count_supersedes_the_earlier_one_and_shortage_is_capped_at_the_need(hinge):
    plan, supply = hinge
    # as of 2025-01-05 the 900 count of 2024-12-01 stands and every order due after it counts (PO-3 too):
    # M1 900 - 400; M2 900 + 1000 (PO-3) + 300 (PO-1) - 900; M3 + 200 (PO-2) - 1200: no shortage
    assert by_kind(check(plan, supply, OnFile(), D("2025-01-05"), RULES), "shortage") == []
    # as of 2025-03-02 the 5000 count is known: nothing short; with no stock and no orders known the whole need is
    nothing = Supply(orders=(order("PO-9", 100, "2025-01-12"),))
    short = by_kind(check(plan, nothing, OnFile(), D("2025-01-10"), RULES), "shortage")
    # no stock row: PO-9 counts from the start; M1 100 - 400 -> 300; M2 100 - 900 -> 500 (capped); M3 300 (capped)
    assert [(f.milestone, f.quantity) for f in short] == [("M1", 300), ("M2", 500), ("M3", 300)]
    assert by_kind(check(plan, supply, OnFile(), D("2025-03-02"), RULES), "shortage") == []


def test_a_part_nobody_counts_or_counts_in_another_unit_has_no_stock_data():
    plan = plan_of([ms("M1", "2025-02-01")], [
        MaterialNeed("M1", "XX-1", "mystery", 5, "pcs", D("2025-01-31"), row=2),
        MaterialNeed("M1", "GR-7", "grease", 3, "pcs", D("2025-01-31"), row=3)])
    supply = Supply(stock=(StockRow("GR-7", 40, "kg", D("2025-01-02"), src(12, 9)),))
    result = check(plan, supply, OnFile(), D("2025-01-15"), RULES)
    found = {f.subject: f for f in by_kind(result, "no stock data")}
    assert set(found) == {"XX-1", "GR-7"} and result.milestones[0].readiness == "blocked"
    assert "no stock report or open purchase order" in found["XX-1"].message
    assert "kg" in found["GR-7"].message and "pcs" in found["GR-7"].message
    assert [(e.doc_id, e.sheet, e.row) for e in found["GR-7"].evidence] == [(7, "Materials", 3), (12, "Stock", 9)]
    assert [(e.doc_id, e.sheet, e.row) for e in found["XX-1"].evidence] == [(7, "Materials", 2)]
    # with an order line in pieces the part has data: the count in kg is cited as not counted, the order counts
    supply = Supply(stock=supply.stock, orders=(order("PO-8", 1, "2025-01-20", part="GR-7"),))
    [short] = [f for f in check(plan, supply, OnFile(), D("2025-01-15"), RULES).findings if f.subject == "GR-7"]
    assert short.kind == "shortage" and short.quantity == 2
    assert [e.says for e in short.evidence] == ["on hand 40 kg on 2025-01-02: another unit than pcs, not counted",
                                                "PO-8: 1 pcs due 2025-01-20 (open), counted"]


def test_a_need_for_a_milestone_the_plan_lacks_is_refused_not_dropped():
    from dms.errors import PlanError

    plan = plan_of([ms("M1", "2025-02-01")], [MaterialNeed("M9", "XX-1", "", 5, "pcs", D("2025-01-31"), row=4)])
    with pytest.raises(PlanError, match="Materials.*4.*M9"):
        check(plan, Supply(), OnFile(), D("2025-01-15"), RULES)


# -- staff -------------------------------------------------------------------------------------------------
def test_working_days_leave_out_weekends():
    assert weekdays(D("2025-01-06"), D("2025-01-10")) == 5  # Mon-Fri
    assert weekdays(D("2025-01-04"), D("2025-01-12")) == 5  # Sat to the next Sun
    assert weekdays(D("2025-01-06"), D("2025-01-19")) == 10
    assert weekdays(D("2025-01-11"), D("2025-01-12")) == 0 and weekdays(D("2025-01-10"), D("2025-01-09")) == 0


@pytest.fixture
def team():
    def person(name, role, hours, row):
        return RosterRow(name, role, hours, src(60, row, "ROSTER-2025", "Roster"))

    roster = (person("Anna Berg", "design engineer", 40, 2), person("Ben Cole", "Design Engineer", 20, 3),
              person("Cara Diaz", "quality engineer", 40, 4), person("Dan Eve", "test technician", 40, 5))
    absences = (AbsenceRow("Cara Diaz", D("2025-01-06"), D("2025-01-17"), "leave", src(61, 2, None, "")),
                AbsenceRow("anna berg", D("2025-01-08"), D("2025-01-09"), "training", src(61, 3, None, "")),
                AbsenceRow("Anna Berg", D("2025-02-03"), D("2025-02-04"), "leave", src(61, 4, None, "")))
    staff = (StaffNeed("M1", "anna berg", 24, D("2025-01-06"), D("2025-01-10"), row=2),
             StaffNeed("M2", "Anna Berg", 40, D("2025-01-06"), D("2025-01-17"), row=3),
             StaffNeed("M3", "Cara Diaz", 16, D("2025-01-13"), D("2025-01-17"), row=4),
             StaffNeed("M4", "design engineer", 60, D("2025-01-13"), D("2025-01-17"), row=5),
             StaffNeed("M5", "Project wizard", 8, D("2025-01-13"), D("2025-01-17"), row=6),
             StaffNeed("M6", "Test Technician", 8, D("2025-01-13"), D("2025-01-13"), row=7))
    milestones = [ms(k, "2025-01-31", row=i + 2) for i, k in enumerate(("M1", "M2", "M3", "M4", "M5", "M6"))]
    return plan_of(milestones, staff=staff), Supply(roster=roster, absences=absences)


def test_people_absent_over_capacity_and_unknown(team):
    plan, supply = team
    result = check(plan, supply, OnFile(), D("2025-01-02"), RULES)
    got = sorted((f.milestone, f.kind, f.subject) for f in result.findings)
    assert got == [
        # Anna: absent Wed+Thu of 06-10; hours 3 days x 8 = 24; load 24 (M1) + 40 x 5/10 (M2) = 44 > 24
        ("M1", "absent", "anna berg"), ("M1", "over capacity", "anna berg"),
        # M2 period 06-17: 8 days x 8 = 64 h; load 24 + 40 = 64: not over, but absent 2 of 10 days
        ("M2", "absent", "Anna Berg"),
        # Cara is on leave both weeks: absent throughout (and nothing more)
        ("M3", "absent throughout", "Cara Diaz"),
        # design engineers 13-17: Anna 40 - M2's 20 = 20, Ben 5 x 4 = 20: pool 40 < 60
        ("M4", "over capacity", "design engineer"),
        ("M5", "unknown person", "Project wizard")]
    assert [m.readiness for m in result.milestones] == ["at risk", "at risk", "blocked", "at risk", "blocked", "ready"]
    assert all(f.evidence for f in result.findings)
    over = {f.milestone: f for f in by_kind(result, "over capacity")}
    assert over["M1"].quantity == pytest.approx(20) and over["M4"].quantity == pytest.approx(20)
    assert "44 h needed" in over["M1"].message and "24 h available" in over["M1"].message
    assert [(e.doc_id, e.row) for e in over["M1"].evidence] == [(60, 2), (61, 3), (7, 2), (7, 3)]
    absent = next(f for f in by_kind(result, "absent") if f.milestone == "M1")
    assert "absent 2 of 5 working days" in absent.message and [e.row for e in absent.evidence] == [2, 3]
    assert [e.row for e in by_kind(result, "absent throughout")[0].evidence] == [4, 2]
    m4 = {(e.doc_id, e.row) for e in over["M4"].evidence}
    assert {(60, 2), (60, 3), (7, 5), (7, 3)} <= m4


def test_capacity_in_another_unit_of_time_is_read_as_hours_per_week(team):
    plan, supply = team
    # Ben works full time: the pool for M4 becomes 20 + 40 = 60, exactly the load
    roster = tuple(r if r.person != "Ben Cole" else RosterRow(r.person, r.role, 40, r.source) for r in supply.roster)
    result = check(plan, Supply(roster=roster, absences=supply.absences), OnFile(), D("2025-01-02"), RULES)
    assert not [f for f in result.findings if f.milestone == "M4"]


# -- deliverables and dependencies ------------------------------------------------------------------------
@pytest.fixture
def filed():
    docs = {"SPEC-KX200-02": (FiledDoc(21, "SPEC-KX200-02", "C", D("2024-12-01")),
                              FiledDoc(22, "SPEC-KX200-02", "D", D("2025-02-10"))),
            "CR-2024-003": (FiledDoc(31, "CR-2024-003", None, D("2024-11-01")),),
            "CR-2024-004": (FiledDoc(32, "CR-2024-004", None, D("2024-11-02")),)}
    decisions = {"CR-2024-003": (Decision("CR-2024-003", "undecided", D("2025-01-10"), 40, "minutes 40"),
                                 Decision("CR-2024-003", "approved", D("2025-01-20"), 41, "minutes 41 approved")),
                 "CR-2024-004": (Decision("CR-2024-004", "approved", D("2024-12-01"), 42, "approved"),
                                 Decision("CR-2024-004", "rejected", D("2025-01-05"), 43, "rejected later"))}
    return OnFile(docs, decisions)


def deliv(number, revision=None, state=None):
    return Deliverable(number, revision, state, " ".join(x for x in (number, revision and f"Rev {revision}", state)
                                                         if x))


def test_deliverables_on_file_by_the_milestone_date_with_revision_and_approval(filed):
    milestones = [
        ms("D1", "2025-02-01", deliverables=[deliv("SPEC-KX200-02", "D")]),  # Rev D dated 02-10: too late, past
        ms("D2", "2025-03-01", deliverables=[deliv("SPEC-KX200-02", "D")]),  # by min(03-01, as of 02-15): on file
        ms("D3", "2025-01-15", deliverables=[deliv("CR-2024-003", state="approved")]),  # approved only 01-20
        ms("D4", "2025-02-28", deliverables=[deliv("CR-2024-003", state="approved")]),  # approved by 02-15
        ms("D5", "2025-03-31", deliverables=[deliv("CR-2024-004", state="approved")]),  # approval overturned
        ms("D6", "2025-03-31", deliverables=[deliv("SPEC-KX200-09")]),  # nothing on file, still ahead
        ms("D7", "2025-02-28", deliverables=[deliv("SPEC-KX200-02", "B")]),  # Rev C is B or later
        ms("D8", "2025-03-31", depends_on=["D1"]),  # D1 is blocked
        ms("D9", "2025-03-31", depends_on=["D5", "D2"])]  # D5 only at risk
    result = check(plan_of(milestones), Supply(), filed, D("2025-02-15"), RULES)
    got = [(f.milestone, f.kind, f.subject) for f in result.findings]
    assert got == [("D1", "deliverable missing", "SPEC-KX200-02"), ("D3", "deliverable missing", "CR-2024-003"),
                   ("D5", "deliverable pending", "CR-2024-004"), ("D6", "deliverable pending", "SPEC-KX200-09"),
                   ("D8", "dependency", "D1")]
    assert [m.readiness for m in result.milestones] == [
        "blocked", "ready", "blocked", "ready", "at risk", "at risk", "ready", "at risk", "ready"]
    f = {x.milestone: x for x in result.findings}
    assert f["D1"].message.startswith("SPEC-KX200-02 Rev D: not on file by 2025-02-01")
    assert [(e.doc_id, e.sheet) for e in f["D1"].evidence] == [(7, "Milestones"), (22, "")]
    assert "not approved by 2025-01-15" in f["D3"].message and "approved only on 2025-01-20" in f["D3"].message
    assert "decided rejected on 2025-01-05" in f["D5"].message and [e.doc_id for e in f["D5"].evidence] == [7, 43]
    assert "no document SPEC-KX200-09 on file" in f["D6"].message
    assert "depends on D1" in f["D8"].message and "deliverable missing" in f["D8"].message
    assert result.readiness == "blocked" and all(x.evidence for x in result.findings)
    # as of an earlier day, nothing dated later is cited: D1 then had Rev C, and CR-2024-003 no approval yet
    before = check(plan_of(milestones[:4]), Supply(), filed, D("2025-01-15"), RULES)
    f = {x.milestone: x for x in before.findings}
    assert [e.doc_id for e in f["D1"].evidence] == [7, 21] and "Rev C dated 2024-12-01 is the latest" in f["D1"].message
    assert f["D3"].kind == "deliverable pending" and "no approval decision on file" in f["D3"].message


def test_milestone_dated_today_is_still_pending_not_missing(filed):
    result = check(plan_of([ms("D1", "2025-02-01", deliverables=[deliv("SPEC-KX200-07")])]), Supply(), filed,
                   D("2025-02-01"), RULES)
    assert [f.kind for f in result.findings] == ["deliverable pending"] and result.readiness == "at risk"


def test_moved_by_and_the_report_shapes(hinge):
    plan, supply = hinge
    result = check(plan, supply, OnFile(), D("2025-01-15"), RULES,
                   moved_by={"PLAN-KX200-2025:M2": ("CR-2025-001",)})
    assert [m.moved_by for m in result.milestones] == [(), ("CR-2025-001",), ()]
    data = to_dict(result)
    assert data["readiness"] == "blocked" and data["exit_code"] == 9 and data["findings"] == 2
    assert data["counts"] == {"ready": 1, "at risk": 0, "blocked": 2}
    m2 = data["milestones"][1]
    assert m2["moved_by"] == ["CR-2025-001"] and m2["findings"][0]["needed_by"] == "2025-02-01"
    assert m2["findings"][0]["evidence"][0] == {"doc_id": 12, "number": "RPT-STOCK-2", "sheet": "Stock", "row": 4,
                                                 "says": "on hand 500 pcs on 2025-01-10"}
    text = lines(result)
    assert text[1].startswith("as of 2025-01-15: BLOCKED") and any("moved by CR-2025-001" in t for t in text)
    assert any(t.strip() == "- RPT-STOCK-2 Stock row 4: on hand 500 pcs on 2025-01-10" for t in text)
    empty = check(plan_of([ms("M1", "2025-01-20")]), Supply(), OnFile(), D("2025-01-15"), RULES)
    assert to_dict(empty)["readiness"] == "ready" and to_dict(empty)["exit_code"] == 0


# -- what is on file, read from a real archive --------------------------------------------------------------
@pytest.fixture
def archive(tmp_path):
    from dms import users
    from dms.app import Dms
    from dms.config import load_settings

    with Dms(load_settings(environ={}, home=tmp_path / "home")) as app:
        users.add(app.catalog, "root", "admin", "long enough pass", by="root")
        for name, role in (("anna", "coordinator"), ("marco", "manager"), ("sofia", "viewer")):
            users.add(app.catalog, name, role, "long enough pass", by="root")
        yield app


def write_docs(folder, docs: dict[str, str]):
    folder.mkdir(exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text)
    return folder


ON_FILE_DOCS = {
    "SPEC-KX200-02_RevC.txt": "Kettle lid specification\nDocument No.: SPEC-KX200-02\nRevision: C\nDate: 2024-12-01\n",
    "SPEC-KX200-02_RevD.txt": "Kettle lid specification\nDocument No.: SPEC-KX200-02\nRevision: D\nDate: 2025-02-10\n",
    "CR-2024-003.txt": "Change Request CR-2024-003\nDate: 2024-11-01\nStronger lid hinge for KX200.\n",
    "MTG-2025-01-20.md": "# Minutes MTG-2025-01-20\nDate: 2025-01-20\nCR-2024-003 decision: approved.\n",
}


def test_on_file_reads_revisions_dates_and_decisions_from_the_archive(archive, tmp_path):
    from dms import changes
    from dms.ingest.pipeline import ingest
    from dms.plans.deliverables import on_file

    ingest(archive, [write_docs(tmp_path / "in", ON_FILE_DOCS)])
    cr = changes.create(archive, "Quieter fan", "sofia", products=["KX200"])
    for action, who, params in (("submit", "sofia", {}), ("review", "anna", {}),
                                ("assess", "anna", dict(relevance="high", risks=["noise:2:2"], benefits="quiet",
                                                        cost_once=10, cost_recurring=0, schedule_impact="none")),
                                ("decide", "marco", {"outcome": "approved", "rationale": "customers ask"})):
        changes.transition(archive, cr.number, action, who, **params)
    found = on_file(archive, ["SPEC-KX200-02", "CR-2024-003", cr.number, "SPEC-NOPE-01"])
    rev_d = found.filed("SPEC-KX200-02", "D", D("2025-02-10"))
    assert found.filed("SPEC-KX200-02", "D", D("2025-02-09")) is None and rev_d.revision == "D"
    assert found.filed("SPEC-KX200-02", "B", D("2025-01-01")).revision == "C"
    assert found.filed("CR-2024-003", None, D("2024-11-01")) is not None
    assert found.approved("CR-2024-003", D("2025-01-19")) is None
    decision = found.approved("CR-2024-003", D("2025-01-20"))
    assert decision.outcome == "approved" and archive.catalog.document(decision.doc_id).name == "MTG-2025-01-20.md"
    today = date.today()
    assert found.filed(cr.number, None, today) is not None  # the workflow files the request as a document
    mine = found.approved(cr.number, today)
    assert mine is not None and "in the workflow" in mine.says and mine.day == today
    assert found.filed("SPEC-NOPE-01", None, today) is None
    from dms.records import retire

    retire(archive, str(rev_d.doc_id), "root", "issued by mistake")  # a retired document is no longer on file
    assert on_file(archive, ["SPEC-KX200-02"]).filed("SPEC-KX200-02", "D", today) is None


# -- end to end: plans, evidence and documents ingested, checked through the library and the command line -----
EVIDENCE = {
    "stock-report-2025-01-10.csv": "Stock report\nDate,2025-01-10\nPart,Description,On hand,Unit,Date\n"
                                   "LH-200,lid hinge,500,pcs,2025-01-10\nGS-10,gasket,40,pcs,2025-01-10\n",
    "PO-2025-0007.csv": "Purchase order PO-2025-0007\nDate: 2024-12-01\nPO,Part,Quantity,Unit,Due,Supplier,Status\n"
                        "PO-2025-0007,LH-200,300,pcs,2025-01-20,Helix Components,\n",
    "PO-2025-0009.csv": "Purchase order PO-2025-0009\nDate: 2025-01-20\nPO,Part,Quantity,Unit,Due,Supplier,Status\n"
                        "PO-2025-0009,LH-200,1000,pcs,2025-01-30,Helix Components,\n",
    "roster-2024-12.csv": "Team roster\nDate,2024-12-15\nName,Role,Hours per week,Email\n"
                          "Anna Berg,design engineer,40,anna@nordlicht.example\n"
                          "Ben Cole,design engineer,20,ben@nordlicht.example\n",
    "leave-2024-12.csv": "Leave record\nDate,2024-12-20\nName,From,To,Type\nAnna Berg,2025-01-08,2025-01-09,training\n",
    **{k: v for k, v in ON_FILE_DOCS.items() if k.startswith("SPEC")},
}


def plan_sheets(revision: str, issued: str, m1_due: str) -> dict:
    return {
        "Plan": [["Document No", "PLAN-KX200-2025"], ["Revision", revision], ["Product", "KX200"],
                 ["Title", "KX200 kettle 2025"], ["Date", issued], ["Owner", "anna"]],
        "Milestones": [["Key", "Milestone", "Phase", "Start", "Date", "Owner", "Deliverables", "Depends on"],
                       ["M1", "Design freeze", "Development", "2025-01-06", m1_due, "anna", "SPEC-KX200-02 Rev D", ""],
                       ["M2", "Pilot run", "Industrialisation", "", "2025-02-20", "anna", "", "M1"],
                       ["M3", "Launch", "Launch", "", "2025-03-01", "anna", "", "M2"]],
        "Materials": [["Milestone", "Part", "Description", "Quantity", "Unit", "Needed by", "Supplier"],
                      ["M2", "LH-200", "lid hinge", 900, "pcs", "2025-02-01", ""],
                      ["M3", "GS-10", "gasket", 20, "pcs", "", ""]],
        "Staff": [["Milestone", "Person or role", "Days", "Hours", "From", "To"],
                  ["M1", "Anna Berg", 4, "", "2025-01-06", "2025-01-10"],
                  ["M2", "design engineer", "", 16, "2025-02-10", "2025-02-14"]]}


@pytest.fixture
def planned(archive, tmp_path):
    """Plan Rev A (issued 2024-11-15, M1 due 2025-01-20) and Rev B (issued 2025-02-01, M1 moved to 2025-02-15)."""
    from conftest import write_xlsx

    from dms.ingest.pipeline import ingest
    from dms.plans.library import import_plan

    ingest(archive, [write_docs(tmp_path / "evidence", EVIDENCE)])
    import_plan(archive, write_xlsx(tmp_path / "plan-a.xlsx", plan_sheets("A", "2024-11-15", "2025-01-20")), by="anna")
    import_plan(archive, write_xlsx(tmp_path / "plan-b.xlsx", plan_sheets("B", "2025-02-01", "2025-02-15")), by="anna")
    return archive


def kinds(result):
    return sorted((f.milestone, f.kind, f.subject) for f in result.findings)


def test_check_plan_on_the_archive_as_of_three_days(planned):
    from dms.plans.check import check_plan

    early = check_plan(planned, "PLAN-KX200-2025", D("2025-01-15"))
    assert early.plan.revision == "A"
    # M1: Anna absent 2 of 5 days: 24 h for 32 h; Rev D not on file yet, M1 still ahead. M2: 500 + 300 (PO-7) - 900
    # = 100 short (PO-9 not ordered yet). M3 depends on the blocked M2.
    assert kinds(early) == [("M1", "absent", "Anna Berg"), ("M1", "deliverable pending", "SPEC-KX200-02"),
                            ("M1", "over capacity", "Anna Berg"), ("M2", "shortage", "LH-200"),
                            ("M3", "dependency", "M2")]
    short = next(f for f in early.findings if f.kind == "shortage")
    assert short.quantity == 100 and short.supplier == "Helix Components"
    paths = {planned.catalog.document(e.doc_id).name for e in short.evidence}
    assert paths == {"stock-report-2025-01-10.csv", "PO-2025-0007.csv"}  # PO-9 is not on file yet
    # 2025-01-25: PO-9 resolves the shortage; Rev A's M1 date has passed without Rev D: missing, M2 waits on it
    late = check_plan(planned, "PLAN-KX200-2025", D("2025-01-25"))
    assert kinds(late) == [("M1", "absent", "Anna Berg"), ("M1", "deliverable missing", "SPEC-KX200-02"),
                           ("M1", "over capacity", "Anna Berg"), ("M2", "dependency", "M1")]
    # 2025-02-20: Rev B (M1 moved to 02-15) is in force and Rev D (02-10) came in time: only Anna's week remains
    moved = check_plan(planned, "PLAN-KX200-2025", D("2025-02-20"))
    assert moved.plan.revision == "B" and moved.readiness == "at risk"
    assert kinds(moved) == [("M1", "absent", "Anna Berg"), ("M1", "over capacity", "Anna Berg")]


def test_change_requests_that_move_a_milestone_are_named_unless_rejected_and_closed(planned):
    from dms import changes
    from dms.errors import UsageError
    from dms.plans.check import check_plan

    moving = changes.create(planned, "Later pilot", "sofia", milestones=["plan-kx200-2025 / m2"])
    dropped = changes.create(planned, "Never mind", "sofia", milestones=["PLAN-KX200-2025:M2"])
    changes.transition(planned, dropped.number, "submit", "sofia")
    changes.transition(planned, dropped.number, "review", "anna")
    changes.transition(planned, dropped.number, "assess", "anna", relevance="low", risks=["none:1:1"], benefits="-",
                       cost_once=0, cost_recurring=0, schedule_impact="none")
    changes.transition(planned, dropped.number, "decide", "marco", outcome="rejected", rationale="not needed")
    changes.transition(planned, dropped.number, "close", "anna")
    with pytest.raises(UsageError, match="no plan PLAN-AQ150-2025 on file"):  # a typo links nothing silently
        changes.create(planned, "Other plan", "sofia", milestones=["PLAN-AQ150-2025:M2"])
    with pytest.raises(UsageError, match=r"has no milestone M9 \(its milestones: M1, M2, M3\)"):
        changes.create(planned, "No such milestone", "sofia", milestones=["PLAN-KX200-2025:M9"])
    result = check_plan(planned, "PLAN-KX200-2025")
    assert [m.moved_by for m in result.milestones] == [(), (moving.number,), ()]
    # as of a day before the requests were made, nothing moved the milestone yet
    assert all(m.moved_by == () for m in check_plan(planned, "PLAN-KX200-2025", D("2025-02-20")).milestones)


def test_plan_check_command_exit_codes_json_and_order_draft(planned, tmp_path):
    import json

    from conftest import run_dms

    home = planned.settings.home
    blocked = run_dms(home, "plan", "check", "PLAN-KX200-2025", "--as-of", "2025-01-15", "--json", check=False)
    data = json.loads(blocked.stdout)
    assert blocked.returncode == 9 and data["readiness"] == "blocked" and data["plan"]["revision"] == "A"
    assert [m["readiness"] for m in data["milestones"]] == ["at risk", "blocked", "at risk"]
    at_risk = run_dms(home, "plan", "check", "PLAN-KX200-2025", "--as-of", "2025-02-20", check=False)
    assert at_risk.returncode == 8 and "as of 2025-02-20: AT RISK" in at_risk.stdout
    assert "- leave-2024-12.csv row 4: Anna Berg training 2025-01-08 to 2025-01-09" in at_risk.stdout
    bad = run_dms(home, "plan", "check", "PLAN-KX200-2025", "--as-of", "2025-02-30", check=False)
    assert bad.returncode == 2 and "no such day" in bad.stderr
    missing = run_dms(home, "plan", "check", "PLAN-KX200-2099", check=False)
    assert missing.returncode == 3
    out = tmp_path / "order.csv"
    drafted = run_dms(home, "plan", "order-draft", "PLAN-KX200-2025", "--as-of", "2025-01-15", "-o", str(out),
                      "--as", "anna", "--json")
    draft = json.loads(drafted.stdout)
    assert [(x["supplier"], x["part"], x["quantity"]) for x in draft["lines"]] == [("Helix Components", "LH-200",
                                                                                   "100")]
    assert out.read_text().splitlines()[1] == "Helix Components,LH-200,lid hinge,100,pcs,2025-02-01,M2,PLAN-KX200-2025"
    again = run_dms(home, "plan", "check", "PLAN-KX200-2025", "--as-of", "2025-01-15", "--json", check=False)
    assert json.loads(again.stdout) == data  # the draft kept on file is no stock or order evidence
    refused = run_dms(home, "plan", "order-draft", "PLAN-KX200-2025", "-o", str(out), "--as", "sofia", check=False)
    assert refused.returncode == 6
