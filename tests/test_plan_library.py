"""Plans as archive documents: import (validated whole, then ingested and audited), revisions superseding,
as-of, listing, web saving, and the `dms plan` commands. On SQLite and PostgreSQL (`both_catalogs`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from conftest import run_dms, write_pdf, write_xlsx

from dms import audit
from dms.asof import in_force
from dms.errors import NotFound, PlanError
from dms.ingest.pipeline import ingest
from dms.plans.library import import_plan as _import
from dms.plans.library import list_plans, load_plan, next_revision, save_plan
from dms.plans.model import Deliverable, MaterialNeed, Milestone, Plan, StaffNeed
from dms.plans.workbook import write_workbook
from dms.search import search

pytestmark = pytest.mark.both_catalogs

BY = "coordinator"


def plan_of(revision="A", issued=date(2025, 1, 10), pilot=date(2025, 3, 1), number="PLAN-KX200-2025",
            product="KX200", parts=("LH-200",)) -> Plan:
    return Plan(number, revision, product, f"Kettle {product} lifecycle 2025", issued,
                milestones=(Milestone("M1", "Design freeze", "Development", date(2025, 1, 15), date(2025, 2, 1), "Anna",
                                      (Deliverable("SPEC-KX200-02", "D", None, "SPEC-KX200-02 Rev D"),)),
                            Milestone("M2", "Pilot run", "Industrialisation", None, pilot, "Ben", (), ("M1",))),
                materials=tuple(MaterialNeed("M2", p, "", 800.0, "pcs", date(2025, 2, 10)) for p in parts),
                staff=(StaffNeed("M2", "Test engineer", 40.0, date(2025, 2, 10), date(2025, 2, 28)),))


def import_plan(dms, path, **kw):
    """Imports in these tests plan parts no stock report names (the supply evidence is tested on its own)."""
    return _import(dms, path, by=BY, new_parts=kw.pop("new_parts", True), **kw)


def written(tmp_path, plan: Plan, name: str):
    path = tmp_path / name
    write_workbook(plan, path)
    return path


def stored(dms) -> list:
    return dms.catalog.graph_documents()


def test_an_imported_workbook_is_a_plan_document_with_its_number_revision_and_date(dms, tmp_path):
    plan = import_plan(dms, written(tmp_path, plan_of(), "kx200 lifecycle.xlsx"))
    doc = dms.catalog.document(plan.doc_id)
    v = doc.version
    assert (v.number, v.revision, v.doc_date, v.doc_type, v.title) == (
        "PLAN-KX200-2025", "A", "2025-01-10", "plan", "Kettle KX200 lifecycle 2025")
    assert "KX200" in v.products and "spec-kx200-02@d" in v.refs
    assert doc.path.startswith(str(dms.settings.home / "plans" / "PLAN-KX200-2025"))
    hits = search(dms, "PLAN-KX200-2025")
    assert [h.id for h in hits.hits][:1] == [plan.doc_id]
    entries = audit.history(dms.catalog, f"doc:{plan.doc_id}")
    imported = [e for e in entries if e["action"] == "plan imported"]
    assert imported and imported[0]["user"] == BY and imported[0]["details"]["revision"] == "A"
    assert load_plan(dms, "plan-kx200-2025").milestones == plan.milestones


def test_a_workbook_filled_in_from_the_template_is_titled_by_its_plan(dms, tmp_path):
    """A spreadsheet program saves the value of the template's first cell (the Title): the ingest names the
    document by it, as it names a table by a lone first cell."""
    rows = [["Kettle KX200 lifecycle 2025"], ["Document No", "PLAN-KX200-2025"], ["Revision", "A"],
            ["Product", "KX200"], ["Title", "Kettle KX200 lifecycle 2025"], ["Date", date(2025, 1, 10)]]
    path = write_xlsx(tmp_path / "filled.xlsx", {
        "Plan": rows, "Milestones": [["Key", "Milestone", "Date"], ["M1", "Design freeze", date(2025, 2, 1)]],
        "Materials": [["Milestone", "Part", "Quantity"]], "Staff": [["Milestone", "Person or role", "Days"]]})
    v = dms.catalog.document(import_plan(dms, path).doc_id).version
    assert (v.title, v.number, v.revision, v.doc_date) == ("Kettle KX200 lifecycle 2025", "PLAN-KX200-2025", "A",
                                                           "2025-01-10")


@pytest.mark.parametrize("case", ["missing column", "unknown unit", "dates out of order"])
def test_a_bad_workbook_stores_nothing_and_names_sheet_row_and_column(dms, tmp_path, case):
    path = written(tmp_path, plan_of(), "plan.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    if case == "missing column":
        wb["Materials"].delete_cols(4)  # Quantity
        where = ("Materials", 1, "Quantity")
    elif case == "unknown unit":
        wb["Materials"]["E2"] = "barrels of fun"
        where = ("Materials", 2, "Unit")
    else:
        wb["Staff"]["E2"] = date(2025, 3, 5)  # From after To
        where = ("Staff", 2, "From")
    wb.save(path)
    with pytest.raises(PlanError) as err:
        import_plan(dms, path)
    assert where in [p[:3] for p in err.value.problems]
    assert f"sheet {where[0]}, row {where[1]}, column {where[2]}" in str(err.value)
    assert stored(dms) == []
    assert not (dms.settings.home / "plans").exists() or not any((dms.settings.home / "plans").rglob("*.xlsx"))
    assert not [e for e in audit.history(dms.catalog, "plan:PLAN-KX200-2025")]


def test_a_part_no_stock_report_names_is_refused_unless_new_parts(dms, tmp_path):
    pytest.importorskip("dms.supply.evidence")
    stock = tmp_path / "stock"
    stock.mkdir()
    write_xlsx(stock / "stock-report-2025-01.xlsx", {"Stock": [["Part", "Description", "On hand", "Unit", "Date"],
                                                              ["LH-200", "Lid hinge", 500, "pcs", "2025-01-05"]]})
    ingest(dms, [stock])
    path = written(tmp_path, plan_of(parts=("LH-200", "ZZ-999")), "plan.xlsx")
    before = len(stored(dms))
    with pytest.raises(PlanError) as err:
        _import(dms, path, by=BY)
    assert [p[:3] for p in err.value.problems] == [("Materials", 3, "Part")]
    assert "ZZ-999" in err.value.problems[0][3] and "--new-parts" in err.value.problems[0][3]
    assert len(stored(dms)) == before
    plan = _import(dms, path, by=BY, new_parts=True)
    assert [n.part for n in plan.materials] == ["LH-200", "ZZ-999"]


def test_a_later_revision_supersedes_and_as_of_gives_the_earlier_one(dms, tmp_path):
    a = import_plan(dms, written(tmp_path, plan_of("A", date(2025, 1, 10)), "a.xlsx"))
    b = import_plan(dms, written(tmp_path, plan_of("B", date(2025, 2, 15), pilot=date(2025, 3, 20)), "b.xlsx"))
    assert load_plan(dms, "PLAN-KX200-2025").revision == "B"
    assert load_plan(dms, "PLAN-KX200-2025").milestones[1].due == date(2025, 3, 20)
    earlier = load_plan(dms, "PLAN-KX200-2025", date(2025, 2, 1))
    assert (earlier.revision, earlier.doc_id, earlier.milestones[1].due) == ("A", a.doc_id, date(2025, 3, 1))
    assert load_plan(dms, "PLAN-KX200-2025", date(2025, 2, 15)).doc_id == b.doc_id
    assert in_force(dms, "PLAN-KX200-2025", "2025-02-01").id == a.doc_id  # as dms.asof counts it
    assert load_plan(dms, "PLAN-KX200-2025 Rev A").doc_id == a.doc_id
    with pytest.raises(NotFound):
        load_plan(dms, "PLAN-KX200-2025", date(2024, 12, 31))
    assert [(p.number, p.revision) for p in list_plans(dms)] == [("PLAN-KX200-2025", "B")]


def test_an_earlier_or_equal_revision_is_refused_and_the_same_file_again_changes_nothing(dms, tmp_path):
    b = written(tmp_path, plan_of("B"), "b.xlsx")
    first = import_plan(dms, b)
    with pytest.raises(PlanError) as err:
        import_plan(dms, written(tmp_path, plan_of("A"), "a.xlsx"))
    assert [p[:3] for p in err.value.problems] == [("Plan", None, "Revision")]
    assert "on file Rev B" in err.value.problems[0][3]
    again = import_plan(dms, b)
    assert again.doc_id == first.doc_id and len(stored(dms)) == 1


def test_the_csv_form_imports_with_its_number_and_revision(dms, tmp_path):
    plan = import_plan(dms, written(tmp_path, plan_of("C"), "plan.csv"))
    v = dms.catalog.document(plan.doc_id).version
    assert (v.number, v.revision, v.doc_date, v.doc_type) == ("PLAN-KX200-2025", "C", "2025-01-10", "plan")
    assert load_plan(dms, "PLAN-KX200-2025").materials == plan.materials


def test_list_plans_filters_by_product_and_skips_plan_documents_that_are_no_workbook(dms, tmp_path):
    import_plan(dms, written(tmp_path, plan_of(), "kx.xlsx"))
    import_plan(dms, written(tmp_path, plan_of(number="PLAN-VL310-2025", product="VL310"), "vl.xlsx"))
    scanned = tmp_path / "scan"
    scanned.mkdir()
    write_pdf(scanned / "PLAN-AQ150-2024.pdf", ["Document No: PLAN-AQ150-2024\nLifecycle plan AQ150, on paper"])
    ingest(dms, [scanned])
    assert [p.number for p in list_plans(dms)] == ["PLAN-KX200-2025", "PLAN-VL310-2025"]
    assert [p.number for p in list_plans(dms, "vl310")] == ["PLAN-VL310-2025"]
    with pytest.raises(PlanError, match="not a plan workbook") as err:
        load_plan(dms, "PLAN-AQ150-2024")
    assert "it is on file, but is no plan workbook" in str(err.value)


def test_save_plan_writes_the_next_revision_and_audits_it(dms, tmp_path):
    import_plan(dms, written(tmp_path, plan_of("A"), "a.xlsx"))
    edited = load_plan(dms, "PLAN-KX200-2025")
    moved = replace(edited, milestones=(edited.milestones[0], replace(edited.milestones[1], due=date(2025, 4, 1))))
    saved = save_plan(dms, moved, by=BY)
    assert (saved.revision, saved.issued) == ("B", date.today())
    current = load_plan(dms, "PLAN-KX200-2025")
    assert (current.revision, current.milestones[1].due, current.doc_id) == ("B", date(2025, 4, 1), saved.doc_id)
    assert dms.catalog.document(saved.doc_id).version.revision == "B"
    assert [e["action"] for e in audit.history(dms.catalog, f"doc:{saved.doc_id}")][-1] == "plan saved"
    assert not list((dms.settings.home / "plans").glob(".edit-*"))  # the scratch workbook is gone


def test_save_plan_refuses_an_edit_with_dates_out_of_order_and_stores_nothing(dms, tmp_path):
    import_plan(dms, written(tmp_path, plan_of("A"), "a.xlsx"))
    edited = load_plan(dms, "PLAN-KX200-2025")
    bad = replace(edited, milestones=(edited.milestones[0], replace(edited.milestones[1], due=date(2025, 1, 20))))
    with pytest.raises(PlanError) as err:
        save_plan(dms, bad, by=BY)
    assert ("Milestones", 3, "Date") in [p[:3] for p in err.value.problems]
    assert len(stored(dms)) == 1 and load_plan(dms, "PLAN-KX200-2025").revision == "A"


def test_save_plan_makes_a_new_plan_rev_a():
    assert [next_revision(r) for r in (None, "A", "Z", "AZ", "3", "1.9")] == ["A", "B", "AA", "BA", "4", "1.10"]


def test_the_plan_commands(tmp_path):
    home = tmp_path / "home"
    template = tmp_path / "template.xlsx"
    run_dms(home, "plan", "template", "-o", str(template))
    bad = run_dms(home, "plan", "import", str(template), check=False)
    assert bad.returncode == 2
    assert "sheet Plan, row 2, column Document No: Document No is required" in bad.stderr
    write_workbook(plan_of("A"), tmp_path / "a.xlsx")
    write_workbook(plan_of("B", date(2025, 2, 15)), tmp_path / "b.csv")
    for name in ("a.xlsx", "b.csv"):
        out = run_dms(home, "plan", "import", str(tmp_path / name), "--new-parts", "--as", BY)
        assert "on file as document" in out.stdout
    listed = json.loads(run_dms(home, "plan", "list", "--product", "KX200", "--json").stdout)
    assert [(p["number"], p["revision"]) for p in listed] == [("PLAN-KX200-2025", "B")]
    shown = json.loads(run_dms(home, "plan", "show", "PLAN-KX200-2025", "--as-of", "2025-02-01", "--json").stdout)
    assert shown["revision"] == "A" and [m["key"] for m in shown["milestones"]] == ["M1", "M2"]
    text = run_dms(home, "plan", "show", "PLAN-KX200-2025").stdout
    assert "Rev B" in text and "Pilot run" in text and "LH-200" in text
    missing = run_dms(home, "plan", "show", "PLAN-KX200-2025", "--as-of", "2024-01-01", check=False)
    assert missing.returncode == 3


def test_a_parsed_plan_is_kept_and_read_again_when_the_rules_change(settings, tmp_path):
    from dms.app import Dms

    with Dms(settings) as dms:
        import_plan(dms, written(tmp_path, plan_of(), "a.xlsx"))
        staff = written(tmp_path, plan_of("B"), "b.xlsx")
        import openpyxl

        wb = openpyxl.load_workbook(staff)
        wb["Staff"]["C2"], wb["Staff"]["D2"] = 5, None  # 5 days, not hours
        wb.save(staff)
        import_plan(dms, staff)
        assert load_plan(dms, "PLAN-KX200-2025").staff[0].hours == 40.0  # 5 days of 8 hours
        (kept,) = dms.catalog.conn.execute("SELECT COUNT(*) FROM plan_cache").fetchone()
        assert kept >= 1
    settings.rules_path.write_text("[supply]\nhours_per_day = 6\n", encoding="utf-8")
    with Dms(settings) as dms:
        assert load_plan(dms, "PLAN-KX200-2025").staff[0].hours == 30.0


def test_a_revision_dated_before_the_one_on_file_is_refused_on_import_and_on_save(dms, tmp_path):
    import_plan(dms, written(tmp_path, plan_of("A", date(2025, 2, 3)), "a.xlsx"))
    with pytest.raises(PlanError) as err:  # Rev B backdated: as-of would give it for days Rev A was in force
        import_plan(dms, written(tmp_path, plan_of("B", date(2024, 1, 1)), "b.xlsx"))
    assert [p[:3] for p in err.value.problems] == [("Plan", None, "Date")]
    assert "before PLAN-KX200-2025 Rev A" in err.value.problems[0][3] and "2025-02-03 or later" in \
        err.value.problems[0][3]
    current = load_plan(dms, "PLAN-KX200-2025")
    with pytest.raises(PlanError) as err:  # the same rule when saved from the web form
        save_plan(dms, replace(current, issued=date(2025, 1, 1)), by=BY)
    assert [p[:3] for p in err.value.problems] == [("Plan", None, "Date")]
    assert len(stored(dms)) == 1
    with pytest.raises(NotFound):
        load_plan(dms, "PLAN-KX200-2025", date(2024, 6, 1))
    same_day = import_plan(dms, written(tmp_path, plan_of("B", date(2025, 2, 3)), "b2.xlsx"))  # same day: fine
    assert load_plan(dms, "PLAN-KX200-2025").doc_id == same_day.doc_id


def test_text_starting_with_an_equals_sign_is_saved_as_text_and_the_kept_workbook_has_no_formula(dms, tmp_path):
    import openpyxl

    import_plan(dms, written(tmp_path, plan_of("A"), "a.xlsx"))
    current = load_plan(dms, "PLAN-KX200-2025")
    edited = replace(current, milestones=(replace(current.milestones[0], phase="=1+1"), current.milestones[1]))
    saved = save_plan(dms, edited, by=BY)
    assert load_plan(dms, "PLAN-KX200-2025").milestones[0].phase == "=1+1"
    (kept,) = (dms.settings.home / "plans" / "PLAN-KX200-2025").glob("*_RevB.xlsx")  # the copy on file
    assert kept.read_bytes() == dms.store.path_for(dms.catalog.document(saved.doc_id).version.sha256).read_bytes()
    book = openpyxl.load_workbook(kept)
    assert book["Milestones"]["C2"].value == "=1+1"
    assert [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
