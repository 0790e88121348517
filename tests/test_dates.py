"""A document's own date: the forms it is written in (English, German, numeric, ISO), where it stands (label,
title block, embedded metadata, first date), the order of ambiguous numeric dates from the document's own
dates, and from its folder's (dms.ingest.settle) through a real catalog."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dms import records, users
from dms.app import Dms
from dms.catalog import datesettle
from dms.config import load_settings
from dms.errors import ConfigError
from dms.ingest.dates import SCAN_CHARS, DateFinding, find_date
from dms.ingest.pipeline import ingest
from dms.ingest.settle import settle_dates
from dms.rules import load_rules
from dms.rules.languages import unknown_languages

RULES = load_rules()  # the built-in rules: order DMY, languages en and de
MDY = dataclasses.replace(RULES, date_order="MDY")


def _date(text: str, rules=RULES, meta: dict | None = None) -> DateFinding | None:
    return find_date([text], meta or {}, rules)


@pytest.mark.parametrize(("written", "iso"), [
    ("2024-03-12", "2024-03-12"),
    ("2024/03/12", "2024-03-12"),
    ("12 March 2024", "2024-03-12"),
    ("12 Mar 2024", "2024-03-12"),
    ("March 12, 2024", "2024-03-12"),
    ("Mar. 12 2024", "2024-03-12"),
    ("12th of March 2024", "2024-03-12"),
    ("12.03.2024", "2024-03-12"),
    ("12.3.24", "2024-03-12"),
    ("25/04/2024", "2024-04-25"),
    ("04/25/2024", "2024-04-25"),
    ("3/12/2024", "2024-12-03"),
    ("12-03-2024", "2024-03-12"),
    ("12. März 2024", "2024-03-12"),
    ("3. Mai 2023", "2023-05-03"),
    ("12. Dezember 2023", "2023-12-12"),
    ("Tuesday, 12 March 2024", "2024-03-12"),
    ("Dienstag, 12. März 2024", "2024-03-12"),
    ("2024-03-12T09:30:00", "2024-03-12"),
])
def test_every_written_form_reads_as_its_date(written, iso):
    found = _date(f"Quality plan\nDate: {written}\nScope: pumps")
    assert found is not None and found.value == iso
    assert found.source == "label 'Date'" and found.page == 1 and found.words in written


@pytest.mark.parametrize("text", [
    "Firmware 1.2.3 released", "Certified to ISO 9001:2015", "Part DS-10452 and DS-10453",
    "Call +49 30 1234-5678 or 030/123456", "Meeting at 12:30 in room 3.12", "Version 10.12.2024.1",
    "31/02/2024", "12 March 1850", "12 Marching 2024", "Revision 12 2024",
])
def test_what_is_not_a_date_gives_none(text):
    assert _date(text) is None


@pytest.mark.parametrize(("line", "label", "iso"), [
    ("Doc: DS-10452 | Rev. 3 | Effective 28 March 2024", "Effective", "2024-03-28"),
    ("Supplier letter, Date received: 14/3/2024, logged by QA", "Date received", "2024-03-14"),
    ("NCR-0042 raised on 12.03.2024 by J. Ortiz", "Raised on", "2024-03-12"),
    ("Protokoll | Datum: 12. März 2024 | Ort: Halle 2", "Datum", "2024-03-12"),
    ("Minutes of the CCB. Date of meeting - Tuesday, 5 March 2024", "Date of meeting", "2024-03-05"),
])
def test_a_label_anywhere_in_a_line_gives_the_date_and_the_longer_label_wins(line, label, iso):
    found = _date(f"Title\n{line}\nBody text 01/01/2020")
    assert (found.value, found.source, found.line) == (iso, f"label '{label}'", line)


def test_a_label_far_from_its_date_is_not_taken_for_it():
    found = _date("Report\nDate: see the approval page at the end, signed 01/02/2019\n\nsome text")
    assert (found.source, found.value) == ("first date in the text", "2019-02-01") and found.doubtful


def test_the_labelled_date_wins_over_the_title_block_and_embedded_metadata():
    text = "Design specification DS-10452\n2 January 2023\nDoc: DS-10452 | Rev. 3 | Effective 28 March 2024"
    found = find_date([text], {"created": "2023-11-05"}, RULES)
    assert (found.value, found.source, found.doubtful) == ("2024-03-28", "label 'Effective'", None)


def test_a_label_in_a_table_cell_gives_the_date():
    found = _date("Report,RPT-KX200-2022-03,Date,2022-03-28\nMonth,Sold\n2022-01,521")
    assert (found.value, found.source) == ("2022-03-28", "label 'Date'")


def test_a_title_block_date_after_a_word_dates_an_event_and_loses_to_embedded_metadata():
    found = find_date(["Kettle lifecycle plan\nLaunch 2022-03-10"], {"created": "2022-01-09"}, RULES)
    assert (found.value, found.source) == ("2022-01-09", "embedded metadata")
    found = find_date(["Kettle lifecycle plan\nMunich, 10 March 2022"], {"created": "2022-01-09"}, RULES)
    assert (found.value, found.source) == ("2022-03-10", "title block")


def test_the_title_block_date_wins_over_embedded_metadata():
    found = find_date(["Design specification DS-10452\n2 January 2023\nScope"], {"created": "2023-11-05"}, RULES)
    assert (found.value, found.source) == ("2023-01-02", "title block")


def test_embedded_metadata_is_the_last_resort_before_a_doubtful_first_date():
    body = "Heading\n" + "Text without dates.\n" * 12 + "The pump failed on 4 June 2024.\n"
    found = find_date([body], {"created": "2023-11-05"}, RULES)
    assert (found.value, found.source, found.page, found.doubtful) == ("2023-11-05", "embedded metadata", None, None)
    first = find_date([body], {}, RULES)
    assert (first.value, first.source) == ("2024-06-04", "first date in the text")
    assert first.doubtful.startswith("no labelled or title-block date")


def test_an_emails_date_header_comes_first():
    found = find_date(["Date: 01/02/2020\nHello"], {"date": "2024-05-06", "subject": "x"}, RULES)
    assert (found.value, found.source) == ("2024-05-06", "e-mail Date header")


def test_a_date_on_page_two_is_found_with_its_page_but_not_past_the_scan_bound():
    found = find_date(["Cover page", "Issued: 7 May 2024"], {}, RULES)
    assert (found.value, found.page) == ("2024-05-07", 2)
    assert find_date(["x" * SCAN_CHARS + "\nIssued: 7 May 2024"], {}, RULES) is None


def test_an_ambiguous_numeric_date_follows_the_rules_order_and_is_doubtful():
    found = _date("Memo\nDate: 03/04/2024")
    assert (found.value, found.alternative, found.order_used, found.evidence) == (
        "2024-04-03", "2024-03-04", "DMY", None)
    assert found.doubtful == "ambiguous numeric date 03/04/2024 read as DMY (the rules' order)"
    assert _date("Memo\nDate: 03/04/2024", MDY).value == "2024-03-04"


@pytest.mark.parametrize(("other", "iso", "order"), [
    ("Invoice paid 25/04/2024", "2024-04-03", "DMY"),
    ("Invoice paid 04/25/2024", "2024-03-04", "MDY"),
])
def test_the_documents_own_unambiguous_date_settles_the_order(other, iso, order):
    found = _date(f"Memo\nDate: 03/04/2024\n\nBody\n{other}")
    assert (found.value, found.order_used, found.evidence, found.doubtful) == (iso, order, order, None)
    assert found.source == "label 'Date', order from the document's own dates"


def test_only_the_same_separator_style_settles_the_order_and_disagreement_stays_doubtful():
    dashed = _date("Memo\nDate: 03-04-2024\n\nPaid 04/25/2024", RULES)
    assert (dashed.value, dashed.evidence) == ("2024-04-03", None) and dashed.doubtful
    mixed = _date("Memo\nDate: 03/04/2024\nPaid 25/04/2024 and 04/26/2024")
    assert mixed.value == "2024-04-03" and "the document's own dates disagree" in mixed.doubtful


def test_dotted_dates_are_day_first_never_ambiguous_and_prove_nothing():
    found = _date("Memo\nDatum: 03.04.2024\nGeliefert 25.04.2024", MDY)
    assert (found.value, found.doubtful, found.alternative, found.evidence) == ("2024-04-03", None, None, None)


def test_a_word_dated_document_still_records_the_evidence_its_numeric_dates_give():
    found = _date("Minutes\nDate: 12 March 2024\nAction due 28/03/2024")
    assert (found.value, found.evidence, found.doubtful) == ("2024-03-12", "DMY", None)


def test_the_provenance_entry_carries_what_settling_needs():
    entry = _date("Memo\nDate: 03/04/2024").to_source()
    assert entry == {"source": "label 'Date'", "page": 1, "line": "Date: 03/04/2024", "words": "03/04/2024",
                     "doubtful": "ambiguous numeric date 03/04/2024 read as DMY (the rules' order)",
                     "confidence": None, "alternative": "2024-03-04", "evidence": None, "order_used": "DMY"}
    json.dumps(entry)


# -- settling by the folder, through a real catalog -------------------------------------------------------

FOLDERS = {
    "european": {"a.txt": "Invoice\nDate: 25/04/2024\n", "b.txt": "Delivery note\nDate: 13/05/2024\n",
                 "ambiguous.txt": "Memo\nDate: 03/04/2024\n"},
    "american": {"a.txt": "Invoice\nDate: 04/25/2024\n", "b.txt": "Delivery note\nDate: 05/13/2024\n",
                 "ambiguous.txt": "Memo\nDate: 03/04/2024\n", "corrected.txt": "Letter\nDate: 06/07/2024\n"},
    "split": {"a.txt": "Invoice\nDate: 25/04/2024\n", "b.txt": "Delivery note\nDate: 05/13/2024\n",
              "ambiguous.txt": "Memo\nDate: 03/04/2024\n"},
}


@pytest.fixture
def archive(tmp_path):
    """Three folders ingested: day-first dates, month-first dates, and both; each with an ambiguous memo.
    Every document's date provenance is what find_date gives for its stored text."""
    root = tmp_path / "archive"
    for folder, files in FOLDERS.items():
        (root / folder).mkdir(parents=True)
        for name, text in files.items():
            (root / folder / name).write_text(text + "Text of the document.\n", encoding="utf-8")
    (root / "european" / "sub").mkdir()
    (root / "european" / "sub" / "c.txt").write_text("Order\nDate: 04/26/2024\n", encoding="utf-8")
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as app:
        ingest(app, [root], inline=True)
        users.add(app.catalog, "ada", "admin", "long enough pass", by="ada")
        docs = {d.path.removeprefix(str(root.resolve()) + "/"): d for d in app.catalog.all_documents()}
        with app.catalog.transaction():
            for doc in docs.values():
                found = find_date(list(app.catalog.pages(doc.version.id)), doc.version.meta, app.rules)
                datesettle.set_date(app.catalog, doc.version.id, found.value, found.to_source())
        yield app, {path: doc.id for path, doc in docs.items()}


def _dated(app, doc_id):
    v = app.catalog.document(doc_id).version
    return v.doc_date, v.sources["date"]


def test_an_ambiguous_date_follows_the_order_its_folder_proves(archive):
    app, ids = archive
    assert _dated(app, ids["american/ambiguous.txt"])[0] == "2024-04-03"  # the rules' order, before settling
    changed = settle_dates(app, [ids["european/ambiguous.txt"], ids["american/ambiguous.txt"]])
    assert changed == 3  # and american/corrected.txt, ambiguous in the same folder
    assert _dated(app, ids["american/corrected.txt"])[0] == "2024-06-07"
    value, entry = _dated(app, ids["american/ambiguous.txt"])
    assert (value, entry["alternative"], entry["order_used"], entry["doubtful"]) == (
        "2024-03-04", "2024-04-03", "MDY", None)
    assert entry["source"] == "label 'Date', order from the folder's dates (2 documents)"
    value, entry = _dated(app, ids["european/ambiguous.txt"])  # a subfolder's 04/26/2024 does not count
    assert (value, entry["order_used"], entry["doubtful"]) == ("2024-04-03", "DMY", None)
    assert app.catalog.document(ids["american/ambiguous.txt"]).indexed_version_id is None


def test_a_folder_whose_dates_disagree_settles_nothing(archive):
    app, ids = archive
    assert settle_dates(app, [ids["split/ambiguous.txt"]]) == 0
    value, entry = _dated(app, ids["split/ambiguous.txt"])
    assert value == "2024-04-03" and entry["doubtful"].startswith("ambiguous numeric date")


def test_a_date_corrected_by_hand_is_never_settled(archive):
    app, ids = archive
    corrected, memo = ids["american/corrected.txt"], ids["american/ambiguous.txt"]
    records.edit(app, str(corrected), "ada", "read the paper original", date="2024-07-06")  # audited only
    version = app.catalog.document(memo).version
    with app.catalog.transaction():  # a correction the provenance itself records
        datesettle.set_date(app.catalog, version.id, "2024-04-03", {**version.sources["date"], "source": "hand"})
    assert settle_dates(app, [corrected, memo]) == 0
    assert _dated(app, corrected)[0] == "2024-07-06" and _dated(app, memo)[0] == "2024-04-03"


def test_a_language_dateparser_does_not_know_is_named_in_the_error():
    assert unknown_languages(("en", "de", "qq")) == ["qq"]
    with pytest.raises(ConfigError, match="'qq' is not a language dateparser knows"):
        _date("Date: 12 March 2024", dataclasses.replace(RULES, date_languages=("en", "qq")))


def test_a_proof_ingested_later_settles_the_folders_earlier_ambiguous_date(tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "memo.txt").write_text("Memo\nDate: 03/04/2024\n", encoding="utf-8")
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as app:
        ingest(app, [folder], inline=True)
        (folder / "invoice.txt").write_text("Invoice\nDate: 04/25/2024\n", encoding="utf-8")
        ingest(app, [folder], inline=True)
        ids = {d.name: d for d in app.catalog.all_documents()}
        with app.catalog.transaction():
            for doc in ids.values():
                found = find_date(list(app.catalog.pages(doc.version.id)), doc.version.meta, app.rules)
                datesettle.set_date(app.catalog, doc.version.id, found.value, found.to_source())
        assert settle_dates(app, [ids["invoice.txt"].id]) == 1
        assert _dated(app, ids["memo.txt"].id)[0] == "2024-03-04"
