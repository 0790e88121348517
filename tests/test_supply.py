"""Supply evidence (dms.supply): real CSV, XLSX and .ics files ingested into a real home, read back as the
stock, orders, roster and leave in force on a day, each row citing its document, sheet and row. On SQLite and
PostgreSQL (`both_catalogs`: the `home` fixture names the catalog, DMS_DATABASE_URL on PostgreSQL runs)."""

from __future__ import annotations

import os
import time
from datetime import date, datetime

import pytest
from conftest import run_dms, write_xlsx
from dateutil.rrule import rrulestr

from dms.app import Dms
from dms.config import load_settings
from dms.ingest.pipeline import ingest
from dms.supply import recur
from dms.supply.evidence import parts_known, refresh, supply_on

pytestmark = pytest.mark.both_catalogs


def open_home(home, **env):
    url = os.environ.get("DMS_DATABASE_URL")  # set by the `database_url` fixture on PostgreSQL runs only
    return Dms(load_settings(environ={"DMS_WORKERS": "1", **env, **({"DMS_DATABASE_URL": url} if url else {})},
                             home=home))


def ingest_files(app, folder):
    ingest(app, [folder], inline=True)


def by_part(rows):
    return {r.part: r for r in rows}


def write_csv(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ics(path, events, method=""):
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dms tests//EN", "X-WR-CALDESC:Leave, issued 2024-11-01"]
    if method:
        body.append(f"METHOD:{method}")
    for i, lines in enumerate(events, start=1):
        body += ["BEGIN:VEVENT", f"UID:ev{i}@test", "DTSTAMP:20241101T090000Z", *lines, "END:VEVENT"]
    body.append("END:VCALENDAR")
    path.write_text("\r\n".join(body) + "\r\n", encoding="utf-8")
    return path


@pytest.fixture
def stock_files(inbox):
    write_csv(inbox / "stock-2024-10.csv", [
        "Stock report KX200 plant", "Report date: 2024-10-31", "",
        "Part,Description,On hand,Unit,Supplier",
        "LH-200,Lid hinge,300,pcs,Helix Components",
        "GS-10,Gasket cord,12,kg,Polaris Plastics",
        "SC-4,Screw M4,2 thousand,,",
        "SC-4,Screw M4 (store 2),500,pcs,"])
    write_xlsx(inbox / "stock-2024-11.xlsx", {
        "About": [["Stock count", None], ["Date", "2024-11-30"]],
        "Counts": [["Part", "Qty on hand", "UoM", "Count date"],
                   ["LH-200", 150, "pcs", datetime(2024, 11, 29)],
                   ["GS-10", 9500, "g", "2024-12-20"]]})
    return inbox


def test_a_later_stock_report_supersedes_an_earlier_one_for_the_parts_it_counts(home, stock_files):
    with open_home(home) as app:
        ingest_files(app, stock_files)
        early = by_part(supply_on(app, date(2024, 11, 15)).stock)
        late = by_part(supply_on(app, date(2024, 12, 5)).stock)
        after = by_part(supply_on(app, date(2024, 12, 31)).stock)
    assert early["LH-200"].on_hand == 300 and early["LH-200"].as_of == date(2024, 10, 31)
    assert late["LH-200"].on_hand == 150 and late["LH-200"].as_of == date(2024, 11, 29)
    assert late["LH-200"].source.sheet == "Counts" and late["LH-200"].source.row == 2
    # the November count of the gasket is dated after the day asked: the October count stands until then
    assert late["GS-10"].on_hand == 12 and late["GS-10"].unit == "kg"
    assert after["GS-10"].on_hand == pytest.approx(9.5) and after["GS-10"].as_of == date(2024, 12, 20)
    # two stores' counts of one part in one report add up, citing the first row; units convert
    assert late["SC-4"].on_hand == 2500 and late["SC-4"].source.row == 7
    assert early["LH-200"].supplier == "Helix Components" and early["LH-200"].description == "Lid hinge"


def test_counts_of_the_same_date_go_to_the_later_report(home, inbox):
    for name, day, qty in (("b-recount.csv", "2024-11-05", 280), ("a-count.csv", "2024-11-02", 300)):
        write_csv(inbox / name, ["Stock", f"Date: {day}", "", "Part,On hand,Count date", f"LH-200,{qty},2024-11-01"])
    with open_home(home) as app:
        ingest_files(app, inbox)
        (row,) = supply_on(app, date(2024, 11, 10)).stock
        (early,) = supply_on(app, date(2024, 11, 3)).stock
    assert (row.on_hand, row.as_of, row.source.doc_date) == (280, date(2024, 11, 1), date(2024, 11, 5))
    assert early.on_hand == 300  # the recount is not known yet on 3 November


def test_evidence_is_in_force_only_from_its_documents_date(home, stock_files):
    with open_home(home) as app:
        ingest_files(app, stock_files)
        assert supply_on(app, date(2024, 10, 30)).stock == ()
        assert {r.part for r in supply_on(app, date(2024, 10, 31)).stock} == {"LH-200", "GS-10", "SC-4"}


def test_a_semicolon_csv_with_decimal_commas_is_read(home, inbox):
    (inbox / "lagerbestand.csv").write_text(
        "Lagerbestand;;\r\nDatum: 31.10.2024;;\r\n;;\r\nPart;On hand;Unit\r\nGS-10;12,5;kg\r\nLH-200;1.234,0;pcs\r\n",
        encoding="cp1252")
    with open_home(home) as app:
        ingest_files(app, inbox)
        stock = by_part(supply_on(app, date(2024, 11, 1)).stock)
    assert (stock["GS-10"].on_hand, stock["LH-200"].on_hand) == (12.5, 1234.0)
    assert stock["GS-10"].as_of == date(2024, 10, 31) and stock["GS-10"].source.row == 5


def test_each_row_cites_its_document_version_number_sheet_and_row(home, inbox):
    write_xlsx(inbox / "po-2024-0032.xlsx", {"Order": [
        ["Purchase order"], ["Document No", "PO-2024-0032"], ["Date", "2024-11-06"], ["Supplier", "Polaris Plastics"],
        [], ["PO", "Part", "Quantity", "Unit", "Due date", "Status"],
        ["PO-2024-0032", "GS-10", 5, "kg", "2024-12-10", None]]})
    with open_home(home) as app:
        ingest_files(app, inbox)
        (line,) = supply_on(app, date(2024, 12, 1)).orders
        doc = app.catalog.same_number("PO-2024-0032")[0]
    assert line.source.doc_id == doc.id and line.source.version_id == doc.version.id
    assert (line.source.number, line.source.sheet, line.source.row) == ("PO-2024-0032", "Order", 7)
    assert line.source.doc_date == date(2024, 11, 6) and line.ordered == date(2024, 11, 6)
    assert (line.order, line.quantity, line.unit, line.due, line.status) == (
        "PO-2024-0032", 5.0, "kg", date(2024, 12, 10), "open")
    assert line.supplier == "Polaris Plastics"  # from the "Supplier | …" row above the table


def test_closed_order_lines_never_count_and_the_latest_document_wins_per_order_and_part(home, inbox):
    write_xlsx(inbox / "open-orders-2024-11-01.xlsx", {"Open orders": [
        ["Open purchase orders"], ["Report date", "2024-11-01"], [],
        ["PO number", "Item", "Open qty", "Delivery date", "Vendor", "Line status"],
        ["PO-2024-0031", "LH-200", 400, "2024-12-02", "Helix Components", "open"],
        ["po 2024 0033", "LH-200", 100, "2024-12-15", "Helix Components", ""],
        ["PO-2024-0030", "GS-10", 20, "2024-11-20", "Polaris Plastics", "Received"],
        ["PO-2024-0034", "SC-4", 1000, "2024-11-25", "Meridian", "cancelled"]]})
    write_csv(inbox / "po-2024-0031-update.csv", [
        "Order confirmation", "Date: 2024-11-20", "",
        "Order,Part,Quantity,Due,Supplier",
        "PO-2024-0031,LH-200,350,2025-01-10,Helix Components"])
    with open_home(home) as app:
        ingest_files(app, inbox)
        before = supply_on(app, date(2024, 11, 10)).orders
        after = supply_on(app, date(2024, 11, 25)).orders
        known = parts_known(app)
    assert sorted((o.order, o.quantity, o.due.isoformat()) for o in before) == [
        ("PO-2024-0031", 400, "2024-12-02"), ("PO-2024-0033", 100, "2024-12-15")]
    assert sorted((o.order, o.quantity, o.due.isoformat()) for o in after) == [
        ("PO-2024-0031", 350, "2025-01-10"), ("PO-2024-0033", 100, "2024-12-15")]
    assert all(o.status == "open" for o in after)
    assert known == {"LH-200", "GS-10", "SC-4"}  # closed lines still name their parts


def test_a_later_version_of_an_order_document_replaces_its_rows(home, inbox):
    po = write_csv(inbox / "po-2024-0040.csv", [
        "Purchase order PO-2024-0040", "Date: 2024-11-02", "",
        "PO,Part,Qty,Due", "PO-2024-0040,LH-200,100,2024-12-01", "PO-2024-0040,GS-10,5,2024-12-01"])
    with open_home(home) as app:
        ingest_files(app, inbox)
        first = supply_on(app, date(2024, 11, 30)).orders
        write_csv(po, ["Purchase order PO-2024-0040", "Date: 2024-11-02", "",
                       "PO,Part,Qty,Due", "PO-2024-0040,LH-200,80,2024-12-03"])
        ingest_files(app, inbox)
        second = supply_on(app, date(2024, 11, 30)).orders
        versions = app.catalog.versions(second[0].source.doc_id)
    assert sorted((o.part, o.quantity) for o in first) == [("GS-10", 5), ("LH-200", 100)]
    assert [(o.part, o.quantity, o.due) for o in second] == [("LH-200", 80, date(2024, 12, 3))]
    assert len(versions) == 2 and second[0].source.version_id == versions[-1].id


def test_a_later_revision_of_an_order_number_replaces_the_earlier_revision(home, inbox):
    for rev, day, qty in (("A", "2024-11-02", 100), ("B", "2024-11-12", 60)):
        write_csv(inbox / f"po-2024-0050-rev{rev}.csv", [
            "Purchase order", "Document No,PO-2024-0050", f"Revision,{rev}", f"Date,{day}", "",
            "PO,Part,Qty,Due", f"PO-2024-0050,LH-200,{qty},2024-12-01"])
    with open_home(home) as app:
        ingest_files(app, inbox)
        assert [o.quantity for o in supply_on(app, date(2024, 11, 5)).orders] == [100]
        assert [o.quantity for o in supply_on(app, date(2024, 11, 20)).orders] == [60]


@pytest.mark.parametrize("unit, cells, hours", [
    ("hours per week", [None, 32, "80 %", "20 h"], [40, 32, 32, 20]),
    ("percent", [None, 50, "0.5 FTE", "100"], [40, 20, 20, 40]),
    ("fte", [None, 0.8, "60%", 1], [40, 32, 24, 40]),
])
def test_roster_capacity_is_read_in_the_rules_unit(home, inbox, unit, cells, hours):
    home.mkdir(parents=True)
    (home / "rules.toml").write_text(f'[supply]\ncapacity_unit = "{unit}"\n' + _supply_columns())
    write_xlsx(inbox / "roster-2024.xlsx", {"Team": [
        ["Team roster"], ["Date", "2024-09-01"], [],
        ["Name", "Role", "Capacity", "E-mail"],
        *[[f"Person {i}", "Engineer", c, f"p{i}@nordlicht.example"] for i, c in enumerate(cells)]]})
    with open_home(home) as app:
        ingest_files(app, inbox)
        roster = supply_on(app, date(2024, 10, 1)).roster
    assert [r.hours_per_week for r in roster] == pytest.approx(hours)
    assert roster[0].email == "p0@nordlicht.example" and roster[0].source.row == 5


def _supply_columns() -> str:
    """The default [supply] column names (a [supply] section in rules.toml replaces the built-in one)."""
    import tomllib
    from importlib.resources import files

    data = tomllib.loads(files("dms.rules").joinpath("default_rules.toml").read_text())["supply"]
    return "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in data.items()
                   if isinstance(v, list) and k != "closed_statuses")


def test_the_latest_roster_in_force_gives_the_people(home, inbox):
    for day, people in (("2024-01-10", [["Anna Berg", "Engineer", 40], ["Carl Dunn", "Tester", 20]]),
                        ("2024-06-10", [["Anna Berg", "Lead engineer", 32]])):
        write_csv(inbox / f"roster-{day}.csv", [f"Roster, {day}", f"Date: {day}", "",
                                                "Name,Role,Hours per week", *[",".join(map(str, p)) for p in people]])
    with open_home(home) as app:
        ingest_files(app, inbox)
        spring = supply_on(app, date(2024, 3, 1)).roster
        summer = supply_on(app, date(2024, 7, 1)).roster
    assert [(r.person, r.role, r.hours_per_week) for r in spring] == [("Anna Berg", "Engineer", 40),
                                                                       ("Carl Dunn", "Tester", 20)]
    assert [(r.person, r.role, r.hours_per_week) for r in summer] == [("Anna Berg", "Lead engineer", 32)]


def test_leave_comes_from_tables_and_calendars(home, inbox):
    write_csv(inbox / "leave-2024.csv", ["Leave records", "Date: 2024-11-01", "",
                                         "Name,Role,From,To,Type", "Anna Berg,Engineer,2025-02-03,2025-02-07,vacation",
                                         "Carl Dunn,Tester,03.03.2025,,training"])
    ics(inbox / "team-leave.ics", [
        ["SUMMARY:Ben Okafor – parental leave", "DTSTART;VALUE=DATE:20250210", "DTEND;VALUE=DATE:20250215"],
        ["SUMMARY:Out of office", "ORGANIZER;CN=Dana Eck:mailto:dana@nordlicht.example",
         "DTSTART;VALUE=DATE:20250303", "DTEND;VALUE=DATE:20250304",
         "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO,TU", "EXDATE;VALUE=DATE:20250310"],
        ["SUMMARY:Workshop", "ATTENDEE;CN=Eva Fox:mailto:eva@x", "ATTENDEE;CN=Finn Gale:mailto:finn@x",
         "DTSTART:20250401T080000", "DTEND:20250403T170000"],
        ["SUMMARY:Ben Okafor – dentist", "DTSTART:20250402T100000", "DTEND:20250402T113000"],
        ["SUMMARY:Gil Hart – leave", "STATUS:CANCELLED", "DTSTART;VALUE=DATE:20250501"]])
    ics(inbox / "invite.ics", [["SUMMARY:Design review", "ATTENDEE;CN=Anna Berg:mailto:a@x",
                                "DTSTART;VALUE=DATE:20250505", "DTEND;VALUE=DATE:20250506"]], method="REQUEST")
    with open_home(home) as app:
        ingest_files(app, inbox)
        absences = supply_on(app, date(2025, 1, 1)).absences
    got = sorted((a.person, a.start.isoformat(), a.end.isoformat(), a.kind, a.source.sheet, a.source.row)
                 for a in absences)
    assert got == [
        ("Anna Berg", "2025-02-03", "2025-02-07", "vacation", "", 5),
        ("Ben Okafor", "2025-02-10", "2025-02-14", "parental leave", "", 1),  # DTEND is exclusive
        ("Carl Dunn", "2025-03-03", "2025-03-03", "training", "", 6),
        ("Dana Eck", "2025-03-03", "2025-03-04", "leave", "", 2),  # Mon-Tue, 3-4 March
        ("Dana Eck", "2025-03-11", "2025-03-11", "leave", "", 2),  # the Monday 10 March is excluded
        ("Eva Fox", "2025-04-01", "2025-04-03", "leave", "", 3),
        ("Finn Gale", "2025-04-01", "2025-04-03", "leave", "", 3)]


def test_unknown_units_and_bad_dates_become_warning_problems_never_a_crash(home, inbox):
    write_csv(inbox / "stock-bad.csv", [
        "Stock report", "Date: 2024-10-31", "",
        "Part,On hand,Unit,Date",
        "LH-200,300,pcs,2024-10-30", "GS-10,12,crates,", "SC-4,10,pcs,31.02.2024", "AB-1,lots,,", ",5,pcs,"])
    write_csv(inbox / "po-bad.csv", ["Orders", "Date: 2024-10-31", "", "PO,Part,Qty,Due",
                                     "PO-2024-0001,LH-200,10,next week", "PO-2024-0002,LH-200,-5,2024-12-01"])
    ics(inbox / "broken.ics", [["SUMMARY:Nobody", "DTSTART;VALUE=DATE:20250203"],
                               ["SUMMARY:Anna Berg – leave", "DTSTART;VALUE=DATE:20250210",
                                "DTEND;VALUE=DATE:20250205"]])
    with open_home(home) as app:
        ingest_files(app, inbox)
        supply = supply_on(app, date(2024, 12, 1))
    assert [(s.part, s.on_hand) for s in supply.stock] == [("LH-200", 300)]
    assert supply.orders == () and supply.absences == ()
    listed = run_dms(home, "problems").stdout
    assert "unknown unit 'crates'" in listed and "bad date '31.02.2024'" in listed and "bad on hand 'lots'" in listed
    assert "row 9: stock row not read: no part" in listed
    assert "bad due date 'next week'" in listed and "negative quantity" in listed
    assert "event 1: no person" in listed and "is not after DTSTART" in listed


def test_calendars_that_do_not_parse_or_hold_bad_dates_are_warnings(home, inbox):
    (inbox / "garbage.ics").write_text("BEGIN:VCALENDAR\r\nthis is not ical\r\nEND:VCALENDAR\r\n")
    ics(inbox / "odd.ics", [["SUMMARY:Anna Berg – leave", "DTSTART:2025XX01"],
                            ["SUMMARY:Ben Okafor – leave", "DTSTART;VALUE=DATE:20250203",
                             "RRULE:FREQ=WEEKLY;UNTIL=soon"],
                            ["SUMMARY:Carl Dunn – leave", "DTSTART;VALUE=DATE:20250210"]])
    with open_home(home) as app:
        ingest_files(app, inbox)
        absences = supply_on(app, date(2025, 1, 1)).absences
        reasons = " ".join(p["reason"] for p in app.catalog.problems())
    assert sorted((a.person, a.start) for a in absences) == [("Ben Okafor", date(2025, 2, 3)),
                                                             ("Carl Dunn", date(2025, 2, 10))]
    assert "the calendar cannot be read" in reasons and "event 1: not read:" in reasons and "2025XX01" in reasons
    assert "event 2: recurrence not expanded" in reasons


def test_reading_again_replaces_a_documents_supply_problems(home, inbox):
    write_csv(inbox / "stock.csv", ["Stock", "Date: 2024-10-31", "", "Artikel,On hand,Unit", "LH-200,3,crates"])
    with open_home(home) as app:
        ingest_files(app, inbox)
        refresh(app)
        assert app.catalog.problems() == []
    (home / "rules.toml").write_text("[supply]\n" + _supply_columns().replace('part = ["part"', 'part = ["artikel"'))
    with open_home(home) as app:
        refresh(app)
        assert [p["reason"].count("crates") for p in app.catalog.problems()] == [1]
    columns = _supply_columns().replace('part = ["part"', 'part = ["artikel", "art"')
    (home / "rules.toml").write_text("[supply]\n" + columns)
    with open_home(home) as app:
        assert refresh(app) == 1  # other column names: read again, its problem replaced, not repeated
        assert [p["reason"].count("crates") for p in app.catalog.problems()] == [1]


def test_a_table_over_supply_max_rows_gives_no_evidence_and_says_why(home, inbox):
    lines = ["Stock report", "Date: 2024-10-31", "", "Part,On hand"] + [f"P-{i},{i}" for i in range(5_000)]
    write_csv(inbox / "stock-huge.csv", lines)
    write_csv(inbox / "stock-small.csv", ["Stock", "Date: 2024-10-31", "", "Part,On hand", "LH-200,7"])
    with open_home(home, DMS_SUPPLY_MAX_ROWS="1000") as app:
        ingest_files(app, inbox)
        started = time.monotonic()
        stock = supply_on(app, date(2024, 11, 1)).stock
        took = time.monotonic() - started
        problems = app.catalog.problems()
    assert [(s.part, s.on_hand) for s in stock] == [("LH-200", 7)]
    assert took < 5
    (limit,) = [p for p in problems if p["kind"] == "limit"]
    assert limit["severity"] == "warning" and "more than 1,000 rows" in limit["reason"]
    assert "DMS_SUPPLY_MAX_ROWS" in limit["reason"] and limit["path"].endswith("stock-huge.csv")


def test_a_file_over_the_text_bound_or_a_calendar_of_too_many_events_gives_no_evidence(home, inbox):
    write_csv(inbox / "stock-wide.csv", ["Stock", "Date: 2024-10-31", "", "Part,On hand,Description"]
              + [f"P-{i},{i},{'x' * 200}" for i in range(100)])
    ics(inbox / "many.ics", [[f"SUMMARY:Person {i} – leave", "DTSTART;VALUE=DATE:20250203"] for i in range(50)])
    with open_home(home, DMS_MAX_TEXT_MB="0.01", DMS_SUPPLY_MAX_ROWS="40") as app:
        ingest_files(app, inbox)
        supply = supply_on(app, date(2025, 1, 1))
        reasons = sorted(p["reason"] for p in app.catalog.problems() if p["kind"] == "limit")
    assert supply.stock == () and supply.absences == ()
    assert any("supply evidence not read: the table is" in r and "DMS_MAX_TEXT_MB" in r for r in reasons)
    assert any("the calendar has 50 events, more than 40" in r for r in reasons)


def test_an_endless_recurrence_is_expanded_within_bounds(home, inbox):
    ics(inbox / "hostile.ics", [
        ["SUMMARY:Anna Berg – never", "DTSTART;VALUE=DATE:20250203", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"],
        ["SUMMARY:Ben Okafor – forever", "DTSTART;VALUE=DATE:20250203", "RRULE:FREQ=DAILY;INTERVAL=1"],
        ["SUMMARY:Carl Dunn – every second", "DTSTART;VALUE=DATE:20250203",
         "RRULE:FREQ=SECONDLY;COUNT=1000000000"],
        ["SUMMARY:Dana Eck – weekly", "DTSTART;VALUE=DATE:20250203", "RRULE:FREQ=WEEKLY;COUNT=1000000000"]])
    with open_home(home) as app:
        ingest_files(app, inbox)
        started = time.monotonic()
        absences = supply_on(app, date(2025, 1, 1)).absences
        took = time.monotonic() - started
        problems = [p["reason"] for p in app.catalog.problems()]
    people = {}
    for a in absences:
        people.setdefault(a.person, []).append(a)
    assert took < 5
    assert [(a.start, a.end) for a in people["Anna Berg"]] == [(date(2025, 2, 3), date(2025, 2, 3))]
    (forever,) = people["Ben Okafor"]  # consecutive days make one absence, MAX_OCCURRENCES days long
    assert (forever.end - forever.start).days + 1 == recur.MAX_OCCURRENCES
    assert [(a.start, a.end) for a in people["Carl Dunn"]] == [(date(2025, 2, 3), date(2025, 2, 3))]
    assert len(people["Dana Eck"]) <= recur.MAX_SPAN_DAYS // 7 + 1
    assert any("event 3: recurrence not expanded (FREQ=SECONDLY" in p for p in problems)


@pytest.mark.parametrize("rule", [
    "FREQ=DAILY;COUNT=10", "FREQ=DAILY;INTERVAL=3;COUNT=8", "FREQ=WEEKLY;COUNT=6",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=9",
    "FREQ=WEEKLY;BYDAY=SU,WE;WKST=SU;INTERVAL=2;COUNT=7", "FREQ=MONTHLY;COUNT=5", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6",
    "FREQ=MONTHLY;BYDAY=2TU,4TU;COUNT=6", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=5", "FREQ=MONTHLY;BYMONTHDAY=15,31;COUNT=8",
    "FREQ=YEARLY;COUNT=3", "FREQ=YEARLY;BYMONTH=3,9;COUNT=5", "FREQ=YEARLY;BYMONTH=12;BYDAY=MO;COUNT=6",
    "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20250301", "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO;COUNT=4",
])
def test_recurrences_expand_as_dateutil_reads_them(rule):
    start = date(2025, 1, 6)  # a Monday; each rule's first occurrence is the start itself
    from icalendar.prop import vRecur

    ours = list(recur.Rule(vRecur.from_ical(rule), start).days_from([10**6]))
    theirs = [d.date() for d in rrulestr(rule, dtstart=datetime(2025, 1, 6))]
    if theirs[0] != start:  # RFC 5545: DTSTART is the first occurrence even when the rule would skip it
        theirs = [start, *theirs][: len(theirs)] if "COUNT" in rule else [start, *theirs]
    assert ours == theirs


def test_evidence_is_read_once_per_version_and_again_when_the_column_names_change(home, inbox):
    write_csv(inbox / "bestand.csv", ["Bestand", "Datum: 31.10.2024", "", "Artikel,Bestand,Einheit",
                                      "LH-200,300,Stk"])
    with open_home(home) as app:
        ingest_files(app, inbox)
        assert refresh(app) == 1 and refresh(app) == 0
        assert supply_on(app, date(2024, 11, 1)).stock == ()  # "Artikel" names no column role
    german = (_supply_columns().replace('part = ["part"', 'part = ["artikel", "part"')
              .replace('on_hand = ["on hand"', 'on_hand = ["bestand", "on hand"')
              .replace('unit = ["unit"', 'unit = ["einheit", "unit"'))
    (home / "rules.toml").write_text("[supply]\n" + german)
    with open_home(home) as app:
        assert refresh(app) == 1
        (row,) = supply_on(app, date(2024, 11, 1)).stock
        assert (row.part, row.on_hand, row.unit, row.as_of) == ("LH-200", 300, "pcs", date(2024, 10, 31))
