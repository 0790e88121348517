"""Deriving a document's own number, revision, type and products from its text and name, with provenance,
as the rules file configures it."""

import tomllib

import pytest
from conftest import run_json
from writers_scan import write_png

from dms import records, users
from dms.app import Dms
from dms.ingest.metadata import derive
from dms.ingest.registry import Raw
from dms.rules import default_rules_text, parse_rules

pytestmark = pytest.mark.both_catalogs  # the tests that take `home` (one: OCR re-derives through the catalog)

# The rules a medical-device maker might write: numeric document revisions, letter spec revisions, ECOs.
RULES = r"""
[identifiers]
document = 'DS-\d{5}'
eco = 'ECO-\d{2}-\d{4}'
specification = 'SPEC-[A-Z]{2}\d{3}-\d{2}'
complaint = 'CMP-\d{4}-\d{4}'

[families]
change = ["eco"]
[families.revisions]
document = "numeric"
specification = "letter"

[numbers]
labels = ["Document No", "Document Number", "Doc No", "Doc", "ECO No", "Number", "Reference"]

[products]
pattern = '\bVP-\d{3}\b'
exclude = ["VP-999"]
[products.aliases]
"Vantor Pump 300" = "VP-300"
"VX3" = "VP-300"
"Vantor Pump 999" = "VP-999"
"""


def rules_from(text: str = RULES):
    return parse_rules(text, "test rules", base=tomllib.loads(default_rules_text()))


MEDICAL = rules_from()
DEFAULT = rules_from("")


def derived(text: str, name: str = "scan.pdf", rules=MEDICAL, meta: dict | None = None, title: str | None = None):
    return derive(Raw(pages=[text], title=title, meta=meta or {}), f"/archive/{name}", rules)


@pytest.mark.parametrize("text", [
    "Document No.: DS-10452",
    "Document Number: DS-10452",
    "doc no DS-10452",
    "DOC: DS-10452",
    "Doc # DS-10452",
    "**Document No:** DS-10452",
    "## Doc: DS-10452",
    "Pump housing\n  - Reference: DS-10452",
])
def test_a_number_label_at_a_line_start_gives_the_number(text):
    d = derived(text)
    assert d.number == "DS-10452"
    assert d.sources["number"]["source"].startswith("label '")
    assert d.sources["number"]["doubtful"] is None


@pytest.mark.parametrize("text", [
    "Doc: DS-10452 | Rev. 3 | Effective 28 March 2024",
    "Vantor Medical; Doc: DS-10452; Rev. 3; Effective 28 March 2024",
    "Doc: DS-10452\tRev. 3\tEffective 28 March 2024",
])
def test_a_header_line_of_fields_gives_number_revision_and_date(text):
    d = derived(text)
    assert (d.number, d.revision, d.doc_date) == ("DS-10452", "3", "2024-03-28")
    assert d.sources["number"]["words"] == "Doc: DS-10452"
    assert d.sources["revision"]["words"] == "Rev. 3"
    assert d.sources["revision"]["line"] == text.replace("\t", " ")


@pytest.mark.parametrize("text", [
    "| Document No | DS-10452 |\n|---|---|\n| Revision | 03 |",  # Markdown
    "Document No | DS-10452\nRevision | 03",  # a DOCX table row, an XLSX row
    "Document No\tDS-10452\nRevision\t03",
    "Document No | Revision | Title\nDS-10452 | 03 | Pump housing",  # labels over their values
    "| Document No | Revision |\n|---|---|\n| DS-10452 | 03 |",
    "Document No\nDS-10452\nRevision\n03",  # a two-column table as PDF text reads
])
def test_table_cells_give_number_and_revision(text):
    d = derived(text)
    assert (d.number, d.revision) == ("DS-10452", "3")
    assert {d.sources["number"]["source"].split("(")[1], d.sources["revision"]["source"].split("(")[1]} <= {
        "table cell)", "table column)", "next line)"}


@pytest.mark.parametrize("text", [
    "Test report\nPump housing\nVantor Medical\nDocument No\nDS-10452 and DS-10453 are cited",
    "Doc: DS-10452\nRevision\nA new housing is described",
])
def test_a_line_under_a_label_is_its_value_only_when_it_holds_nothing_else(text):
    d = derived(text)
    assert d.revision is None and d.number in (None, "DS-10452")
    assert d.number is None or d.sources["number"]["source"] == "label 'Doc'"


def test_a_csv_files_cells_are_split_by_commas():
    d = derived("Document No,DS-10452,Revision,03\nMonth,Sold\n2024-01,5", name="sales.csv")
    assert (d.number, d.revision) == ("DS-10452", "3")
    assert d.sources["number"]["source"] == "label 'Document No' (table cell)"
    prose = derived("Test report\nPump housing\nVantor Medical\nIn short, Document No DS-10452 is cited.")
    assert prose.number is None


def test_an_eco_number_label_names_the_change_order():
    d = derived("ECO No.: ECO-24-0117\nTitle: Housing material change")
    assert d.number == "ECO-24-0117" and d.sources["number"]["source"] == "label 'ECO No'"


def test_a_column_of_several_numbers_lists_documents_and_numbers_none_of_them():
    d = derived("Document No | Title\nDS-10001 | Pump\nDS-10002 | Housing", name="register.xlsx")
    assert d.number is None
    assert {r.number for r in d.references} == {"DS-10001", "DS-10002"}


@pytest.mark.parametrize("text", [
    "As required by Document No: DS-10452 the housing is tested.",  # the label is not at a field's start
    "Reference: see DS-10452 for the housing",  # the value does not start with the identifier
    "Documentation: DS-10452",  # not the whole word "Doc"
])
def test_an_identifier_a_label_does_not_introduce_is_cited_not_owned(text):
    d = derived("Test report\nPump housing\nVantor Medical\n" + text)  # below the title lines
    assert d.number is None
    assert [r.number for r in d.references] == ["DS-10452"]


def test_the_labels_come_from_the_rules_file():
    text = "Test report\nPump housing\nVantor Medical\nDrawing ident: DS-10452"
    assert derived(text).number is None
    custom = rules_from(RULES.replace('labels = ["Document No"', 'labels = ["Drawing ident", "Document No"'))
    assert derived(text, rules=custom).number == "DS-10452"


def test_a_label_wins_over_the_title_line_and_the_title_line_over_the_file_name():
    assert derived("Pump housing DS-10001\nDoc: DS-10452", name="DS-10999.pdf").number == "DS-10452"
    d = derived("Drawing DS-10001 pump housing\nNo number label here", name="DS-10999.pdf")
    assert d.number == "DS-10001" and d.sources["number"]["source"] == "title line"
    assert d.sources["number"]["page"] == 1 and d.sources["number"]["line"] == "Drawing DS-10001 pump housing"


@pytest.mark.parametrize(("name", "number", "revision"), [
    ("DS_10452_r3.pdf", "DS-10452", "3"),
    ("DS-10452 Rev 3 - Pump housing.pdf", "DS-10452", "3"),
    ("DS 10452 Revision 03.docx", "DS-10452", "3"),
    ("DS-10452_Rev3.pdf", "DS-10452", "3"),
    ("SPEC_AB123_01_rev-b.docx", "SPEC-AB123-01", "B"),
    ("SPEC-AB123-01_RevC.pdf", "SPEC-AB123-01", "C"),
    ("ds-10452.txt", "DS-10452", None),
])
def test_a_file_name_gives_a_number_and_revision_with_underscores_and_spaces_as_dashes(name, number, revision):
    d = derived("Pump housing drawing", name=name)
    assert (d.number, d.revision) == (number, revision)
    assert d.sources["number"]["source"] == "file name"
    assert d.sources["number"]["doubtful"] == "only the file name gives the number"
    assert d.sources["number"]["line"] == name


def test_a_file_name_gives_no_number_when_the_rules_say_so():
    rules = rules_from(RULES.replace('"Reference"]', '"Reference"]\nfrom_file_name = false'))
    assert derived("Pump housing drawing", name="DS_10452_r3.pdf", rules=rules).number is None


def test_a_revision_in_the_file_name_completes_a_number_from_the_text():
    d = derived("Doc: DS-10452\nPump housing", name="DS-10452_r4.pdf")
    assert (d.number, d.revision) == ("DS-10452", "4")
    assert d.sources["revision"]["source"] == "file name" and d.sources["revision"]["doubtful"]
    # a file name that names another document says nothing of this one's revision
    assert derived("Doc: DS-10452\nPump housing", name="DS-10999_r4.pdf").revision is None


MAIL = {"from": ["QA <qa@vantor.example>"], "to": ["Ops <ops@vantor.example>"], "message_id": "<1@vantor.example>",
        "subject": "DS-10452 Rev 3 released"}


@pytest.mark.parametrize("name", ["DS-10452 Rev 3.eml", "DS_10452_r3.msg", "ECO-24-0117.eml"])
def test_an_email_never_takes_a_number_from_its_file_name_subject_or_title(name):
    page = "From: QA <qa@vantor.example>\nSubject: DS-10452 Rev 3 released\n\nDS-10452 Rev 3 is released.\n"
    d = derived(page, name=name, meta=MAIL, title=MAIL["subject"])
    assert (d.number, d.revision) == (None, None) and "number" not in d.sources
    assert d.doc_type == "correspondence"
    assert ("DS-10452", "3") in {(r.number, r.revision) for r in d.references}


def test_an_email_with_a_numbered_attachment_leaves_the_number_to_the_attachment():
    d = derive(Raw(pages=["Pump housing drawing"]), "/archive/mail/DS-10001.eml#1:DS_10452_r3.pdf", MEDICAL)
    assert (d.number, d.revision) == ("DS-10452", "3")


def test_a_complaint_received_by_email_is_numbered_by_its_body_never_its_file_name():
    page = ("From: Retail <service@retail.example>\nSubject: Customer complaint CMP-2023-0001: kettle\n\n"
            "Customer complaint CMP-2023-0001 received via Brightwater Retail.\nThe lid leaks.")
    meta = {**MAIL, "subject": "Customer complaint CMP-2023-0001: kettle"}
    d = derived(page, name="CMP-2023-0009.eml", meta=meta)
    assert d.doc_type == "complaint" and d.number == "CMP-2023-0001"
    assert d.sources["number"]["source"] == "title line"
    unnamed = derived(page.replace("Customer complaint CMP-2023-0001 received", "Complaint received"),
                      name="CMP-2023-0009.eml", meta=meta)
    assert unnamed.doc_type == "complaint" and unnamed.number is None


def test_a_word_processor_subject_property_does_not_make_a_file_an_email():
    d = derived("Minutes MTG-2023-04-13 product board", name="board.docx", rules=DEFAULT,
                meta={"subject": "Product board", "author": "Anna"})
    assert d.number == "MTG-2023-04-13"


@pytest.mark.parametrize(("text", "revision"), [
    ("Doc: DS-10452 Rev. 3", "3"),
    ("Doc: DS-10452, Revision 03", "3"),
    ("Doc: DS-10452 rev3", "3"),
    ("Doc: DS-10452\nRev. 3", "3"),
    ("Doc: DS-10452\nRevision: 03", "3"),
    ("Doc: DS-10452\nREV 12", "12"),
    ("Doc: DS-10452\nRev3", "3"),
    ("Doc: DS-10452\n| Revision | 3 |", "3"),
    ("Doc: SPEC-AB123-01 Rev B", "B"),
    ("Doc: SPEC-AB123-01 (B)", "B"),
    ("Doc: SPEC-AB123-01\nREV B", "B"),
    ("Doc: SPEC-AB123-01\nRev.: C", "C"),
    ("Doc: SPEC-AB123-01\nrev-b", "B"),
    ("Doc: SPEC-AB123-01\nRevision | AA", "AA"),
])
def test_each_written_form_of_a_revision_is_read_and_normalised(text, revision):
    d = derived(text)
    assert d.revision == revision
    assert d.sources["revision"]["page"] == 1 and d.sources["revision"]["doubtful"] is None


@pytest.mark.parametrize("text", [
    "Doc: DS-10452\nRevision history",
    "Doc: DS-10452\nRevision date: 2024-03-12",
    "Doc: DS-10452\nRev 12 March 2024",
    "Doc: DS-10452\nReviewed by: A",
    "Doc: DS-10452\nRevision in progress",
])
def test_words_and_dates_after_a_revision_label_are_not_revisions(text):
    assert derived(text).revision is None


def test_a_revision_history_table_gives_the_highest_revision():
    text = ("Doc: SPEC-AB123-01\nRevision | Date | Change\nA | 2023-01-10 | first issue\n"
            "C | 2024-02-01 | ECO-24-0117\nB | 2023-06-01 | ECO-23-0042")
    assert derived(text).revision == "C"


@pytest.mark.parametrize(("text", "value"), [
    ("Doc: DS-10452\nREV B", "B"),  # DS revisions are numeric in these rules
    ("Doc: DS-10452 Rev B", "B"),
    ("Doc: SPEC-AB123-01\nRev. 3", "3"),  # SPEC revisions are letters
])
def test_a_revision_that_does_not_fit_the_familys_scheme_is_not_taken_and_the_doubt_is_recorded(text, value):
    d = derived(text)
    assert d.revision is None
    assert f"{value!r} is not a" in d.sources["revision"]["doubtful"]


def test_a_fitting_revision_is_taken_after_one_that_does_not_fit():
    d = derived("Doc: DS-10452 Rev B\nRevision: 4")
    assert d.revision == "4" and d.sources["revision"]["doubtful"] is None


def test_product_aliases_give_product_codes_as_whole_words_in_any_case_and_spacing():
    d = derived("Service note\nThe vantor   PUMP 300 and the VX3 housing; not the Vantor Pump 3000 or VX30.")
    assert d.products == ("VP-300",)
    assert d.sources["products"]["source"] == "alias 'vantor PUMP 300'"
    assert d.sources["products"]["page"] == 1
    assert derived("The Vantor Pump 3000 and VX30.").products == ()


def test_excluded_codes_stay_excluded_whether_written_as_code_or_alias():
    d = derived("VP-999 and Vantor Pump 999 are test rigs; VP-120 is a product.")
    assert d.products == ("VP-120",)


def test_products_come_from_the_file_name_title_and_text_with_where_the_first_was_found():
    d = derived("Housing\nUsed in the VP-120.", name="VP-300 housing.pdf")
    assert d.products == ("VP-120", "VP-300")
    assert d.sources["products"]["source"] == "product code in the file name"
    assert d.sources["products"]["words"] == "VP-300, VP-120"


def test_the_type_rule_that_matched_is_recorded():
    d = derived("Product board\nnotes", name="SPEC-KX200-01_RevB.pdf", rules=DEFAULT)
    assert d.doc_type == "specification"
    assert d.sources["type"]["source"] == r"rule 3 (name '(?i)\bSPEC-')"
    assert d.sources["type"]["words"] == "SPEC-"
    by_content = derived("Intro\n  Meeting minutes of the board", name="notes.txt", rules=DEFAULT)
    assert by_content.doc_type == "minutes"
    assert by_content.sources["type"]["source"].startswith("rule 6 (content ")
    assert by_content.sources["type"]["page"] == 1
    assert by_content.sources["type"]["line"] == "Meeting minutes of the board"


def test_a_document_no_type_rule_matches_is_other_and_says_so():
    d = derived("Nothing to see", name="notes.txt", rules=DEFAULT)
    assert d.doc_type == "other" and d.sources["type"]["source"] == "no rule matched"


def test_every_source_entry_has_the_same_keys_and_a_bounded_line():
    long_line = "Doc: DS-10452 | Rev. 3 | " + "x" * 500
    d = derived(long_line + "\nEffective 28 March 2024\nVP-300", name="a.pdf")
    for field in ("type", "number", "revision", "date", "products"):
        assert {"source", "page", "line", "words", "doubtful"} <= set(d.sources[field]), field
    assert len(d.sources["number"]["line"]) <= 200
    assert d.date_source == d.sources["date"]["source"]


def test_parties_come_from_email_headers_and_party_names():
    d = derived("From: QA\n\nWe met Helix Components.", name="note.eml", rules=DEFAULT, meta=MAIL)
    assert d.parties == ("QA <qa@vantor.example>", "Ops <ops@vantor.example>", "Helix Components")
    assert d.sources["parties"]["source"] == "e-mail headers and party names"
    letter = derived("Letter\nFrom Helix Components, Hamburg.", name="letter.txt", rules=DEFAULT)
    assert letter.parties == ("Helix Components",)
    assert letter.sources["parties"]["line"] == "From Helix Components, Hamburg."


def test_ocr_rederives_sources_and_names_hand_the_source_of_fields_corrected_by_hand(home, inbox, settings):
    write_png(inbox / "agreement.png", ["Supplier quality agreement", "Document No: CTR-2023-004",
                                        "The changes agreed in CR-2023-003 apply to the KX200."])
    run_json(home, "ingest", str(inbox), env={"DMS_TESSERACT": "/nonexistent/bin/tesseract"})
    with Dms(settings) as app:
        (doc,) = [d for d in app.catalog.all_documents() if d.path.endswith("agreement.png")]
    assert doc.version.number is None  # no text yet
    with Dms(settings) as app:
        users.add(app.catalog, "ada", "admin", "long enough pass", by="ada")
        users.add(app.catalog, "cora", "coordinator", "long enough pass", by="ada")
        records.edit(app, str(doc.id), "cora", "the scan is of the AQ150 agreement", products=["AQ150"])
        edited = app.catalog.document(doc.id).version
    run_json(home, "ocr")
    with Dms(settings) as app:
        v = app.catalog.document(doc.id).version
    assert v.number == "CTR-2023-004" and v.sources["number"]["source"] == "label 'Document No'"
    assert v.sources["number"]["line"] == "Document No: CTR-2023-004"
    assert edited.sources["products"]["source"] == "hand"  # the correction names its source at once
    assert v.products == ("AQ150",) and v.sources["products"]["source"] == "hand"


# Review findings: a user's own identifiers without [families]; negated outcomes; unknown date languages;
# an alias matched case-insensitively that folds differently.

_BASE = tomllib.loads(default_rules_text())


def test_own_identifiers_without_families_load_with_no_change_family():
    rules = parse_rules("[identifiers]\nds = 'DS-\\d{5}'\neco = 'ECO-\\d{2}-\\d{4}'\n", "rules.toml", base=_BASE)
    assert rules.change_families == () and rules.revision_scheme("ds") == "any"


def test_a_negated_approval_is_a_rejection():
    from dms.graph.phrases import phrases_for

    rules = parse_rules("", "rules.toml", base=_BASE)
    phrases = phrases_for(rules)
    assert phrases.outcome("CR-2024-001 was not approved by the board") == "rejected"
    assert phrases.outcome("CR-2024-001: nicht genehmigt") == "rejected"
    assert phrases.outcome("CR-2024-001 approved") == "approved"


def test_an_unknown_date_language_is_refused_when_the_rules_are_read():
    from dms.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[dates\] languages: xx"):
        parse_rules("[dates]\nlanguages = ['en', 'xx']\n", "rules.toml", base=_BASE)


def test_an_alias_that_folds_differently_is_skipped_not_a_crash():
    rules = parse_rules("[products]\npattern = 'VP-\\d{3}'\n[products.aliases]\n'Vantor Pump Series' = 'VP-300'\n",
                        "rules.toml", base=_BASE)
    text = "VANTOR PUMP \u017fERIES, then the Vantor  pump series itself"
    assert derive(Raw(pages=[text], title=None, meta={}), "a.txt", rules).products == ("VP-300",)
