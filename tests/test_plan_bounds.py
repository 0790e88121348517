"""Evidence and plans from the real world: a date typed 9999 for 2025, a stock report exported as UTF-16 or cp1252,
a calendar with one impossible event. Each is refused or skipped where it is written, with a reason a person
reads, and never takes the check, the follow-up list or the shared pages down for everyone else."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import run_dms, write_xlsx

from dms.app import Dms
from dms.config import load_settings
from dms.errors import PlanError
from dms.ingest.pipeline import ingest
from dms.plans.model import Plan
from dms.supply.evidence import supply_on


def open_home(home):
    return Dms(load_settings(environ={"DMS_WORKERS": "1"}, home=home))


def _plan_workbook(path, staff_to="2025-03-14"):
    return write_xlsx(path, {
        "Plan": [["Document No", "PLAN-KX200-2031"], ["Revision", "A"], ["Product", "KX200"],
                 ["Title", "Kettle refresh"], ["Date", "2025-01-02"]],
        "Milestones": [["Key", "Milestone", "Start", "Date", "Owner"],
                       ["M1", "Design freeze", "2025-02-03", "2025-03-14", "Elif Demir"]],
        "Materials": [["Milestone", "Part", "Quantity"]],
        "Staff": [["Milestone", "Person or role", "Days", "From", "To"],
                  ["M1", "Elif Demir", 10, "2025-02-03", staff_to]]})


@pytest.fixture
def far(home, inbox):
    """A roster, a leave record whose sabbatical 'ends' in 9999, and one ordinary leave row after it."""
    (inbox / "leave-far.csv").write_text(
        "Leave records,Date,2025-01-10\nName,Absence,From,To\n"
        "Elif Demir,sabbatical,2025-03-01,9999-12-31\nElif Demir,leave,2025-02-10,2025-02-12\n", encoding="utf-8")
    write_xlsx(inbox / "roster.xlsx", {"Roster": [["Roster", "Date", "2025-01-02"], ["Name", "Role", "Hours per week"],
                                                  ["Elif Demir", "engineer", 40]]})
    with open_home(home) as app:
        ingest(app, [inbox], inline=True)
    return home


def test_a_leave_row_ending_in_9999_is_skipped_with_a_problem_and_the_rest_still_counts(far):
    with open_home(far) as app:
        leave = supply_on(app, date(2025, 6, 1)).absences
    assert [(a.start, a.end, a.kind) for a in leave] == [(date(2025, 2, 10), date(2025, 2, 12), "leave")]
    problems = run_dms(far, "problems").stdout
    assert "9999-12-31 is outside the dates dms plans with (1900-2199)" in problems


def test_a_plan_checked_against_that_leave_record_and_the_follow_up_list_still_answer(far, tmp_path):
    run_dms(far, "plan", "import", str(_plan_workbook(tmp_path / "plan.xlsx")), "--as", "x")
    check = run_dms(far, "plan", "check", "PLAN-KX200-2031", "--as-of", "2025-06-01", check=False)
    assert check.returncode == 8, check.stdout + check.stderr
    assert "absent: Elif Demir: absent 3 of 30 working days" in check.stdout and "Traceback" not in check.stderr
    followup = run_dms(far, "followup", "--as-of", "2025-06-01", check=False)
    assert followup.returncode == 0 and "PLAN-KX200-2031 M1" in followup.stdout, followup.stderr


def test_a_plan_dated_9999_is_refused_naming_the_cell(tmp_path):
    from dms.plans.workbook import read_workbook
    from dms.rules import load_rules

    path = _plan_workbook(tmp_path / "plan.xlsx", staff_to="9999-12-31")
    with pytest.raises(PlanError) as refused:
        read_workbook(path, "xlsx", load_rules(), max_rows=1000)
    assert refused.value.problems == [("Staff", 2, "To", "9999-12-31 is outside the dates dms plans with "
                                       "(1900-2199): a typo?")]
    assert not isinstance(refused.value, Plan)


def test_an_as_of_day_out_of_range_is_a_usage_error_not_a_crash(home):
    run_dms(home, "stats")
    out = run_dms(home, "plan", "check", "PLAN-KX200-2025", "--as-of", "9999-12-15", check=False)
    assert out.returncode == 2 and "from 1900-01-01 to 2199-12-31" in out.stderr and "Traceback" not in out.stderr


def test_stock_reports_exported_as_utf16_or_cp1252_are_read_with_their_words(home, inbox):
    text = "Stock count,Warehouse Wien,Date,2025-02-22\nPart,Description,Qty on hand,UoM,Vendor\n" \
           "BR-310,Bürste,10,Stk,Größe GmbH\n"
    (inbox / "stock-utf16.csv").write_bytes(text.encode("utf-16"))  # Excel's "Unicode text": with a BOM
    (inbox / "stock-1252.csv").write_bytes(text.replace("BR-310", "BR-311").replace("Bürste", "Gehäuse")
                                           .replace("\n", "\r\n").encode("cp1252"))
    with open_home(home) as app:
        ingest(app, [inbox], inline=True)
        stock = {r.part: r for r in supply_on(app, date(2025, 3, 1)).stock}
    assert (stock["BR-310"].on_hand, stock["BR-310"].description, stock["BR-310"].supplier) == \
        (10, "Bürste", "Größe GmbH")
    assert (stock["BR-311"].description, stock["BR-311"].supplier) == ("Gehäuse", "Größe GmbH")


def test_a_calendar_event_in_9999_is_left_out_alone_and_named(home, inbox):
    (inbox / "leave.ics").write_text("\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "X-WR-CALNAME:Team leave", "X-WR-CALDESC:Leave, issued 2025-01-02",
        "BEGIN:VEVENT", "UID:a", "DTSTART;VALUE=DATE:99990601", "RRULE:FREQ=DAILY", "SUMMARY:Elif Demir – leave",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:b", "DTSTART;VALUE=DATE:20250303", "DTEND;VALUE=DATE:20250305",
        "SUMMARY:Elif Demir – training", "END:VEVENT", "END:VCALENDAR"]) + "\r\n", encoding="utf-8")
    with open_home(home) as app:
        ingest(app, [inbox], inline=True)
        leave = supply_on(app, date(2025, 6, 1)).absences
        title = app.catalog.all_documents()[0].version.title
    assert [(a.start, a.end, a.kind) for a in leave] == [(date(2025, 3, 3), date(2025, 3, 4), "training")]
    assert title == "Calendar: Team leave"
    assert "event 1: not read: 9999-06-01 is outside the dates" in run_dms(home, "problems").stdout
