"""Revisions written any common way after an identifier: read alike, normalised, checked against the family's
scheme, resolved and searched alike, and ordered as revisions (2 < 10, A < Z < AA)."""

import tomllib

import pytest

from dms import records, users
from dms.app import Dms
from dms.asof import in_force
from dms.config import load_settings
from dms.documents import resolve, revisions, show
from dms.identifiers import IdentifierMatcher
from dms.index import query as q
from dms.ingest.pipeline import ingest
from dms.rules import default_rules_text, parse_rules
from dms.search import search

RULES = r"""
[identifiers]
drawing = 'DS-\d{5}'
spec = 'SPEC-[A-Z]{2}\d{3}'
eco = 'ECO-\d{2}-\d{4}'

[families]
change = ["eco"]
[families.revisions]
drawing = "numeric"
spec = "letter"
"""


def matcher_for(text: str = RULES) -> IdentifierMatcher:
    return IdentifierMatcher(parse_rules(text, "test rules", base=tomllib.loads(default_rules_text())))


@pytest.fixture(scope="module")
def matcher():
    return matcher_for()


def read(matcher, text):
    """(number, revision, the words taken) of each identifier in the text."""
    return [(m.number, m.revision, text[m.start:m.end]) for m in matcher.find(text)]


@pytest.mark.parametrize("written", [
    "DS-10452 Rev. 3", "DS-10452 Rev 3", "DS-10452 Revision 03", "DS-10452 REV 3", "DS-10452 rev-3",
    "DS-10452 rev.3", "DS-10452 Rev3", "DS-10452_r3", "DS-10452-r3", "DS-10452 r3", "DS-10452, Rev. 3",
    "DS-10452/Rev 3", "DS-10452 (Rev. 3)", "DS-10452 (Revision 003)", "DS-10452 Rev: 03", "DS-10452_Rev3",
])
def test_every_common_form_of_a_numeric_revision_reads_as_the_same_normalised_revision(matcher, written):
    text = f"The housing follows {written} from now on."
    assert read(matcher, text) == [("DS-10452", "3", written)]


@pytest.mark.parametrize("written", [
    "SPEC-AB123 Rev. B", "SPEC-AB123 REV B", "SPEC-AB123 rev-b", "SPEC-AB123 rev.b", "SPEC-AB123 Revision B",
    "SPEC-AB123 (B)", "SPEC-AB123 (Rev. B)", "SPEC-AB123, Rev. B", "SPEC-AB123/Rev B", "SPEC-AB123 rev b",
])
def test_every_common_form_of_a_letter_revision_reads_as_the_same_upper_case_letter(matcher, written):
    text = f"See {written}; it replaces the old one."
    assert read(matcher, text) == [("SPEC-AB123", "B", written)]


def test_a_revision_takes_no_following_words(matcher):
    assert read(matcher, "SPEC-AB123 Rev B of the housing") == [("SPEC-AB123", "B", "SPEC-AB123 Rev B")]
    assert read(matcher, "SPEC-AB123 Rev AA is out") == [("SPEC-AB123", "AA", "SPEC-AB123 Rev AA")]
    assert read(matcher, "DS-10452 Rev. 3. Next sentence") == [("DS-10452", "3", "DS-10452 Rev. 3")]


@pytest.mark.parametrize("text", [
    "DS-10452 Revision history", "SPEC-AB123 Revision history", "SPEC-AB123 revision in progress",
    "SPEC-AB123 Revs", "SPEC-AB123 Review", "DS-10452 REV 2024-03-12", "DS-10452 Rev 12.03.2024",
    "DS-10452 Rev 3/4/2024", "DS-10452 REV 12 March 2024", "DS-10452 Rev 3 Mai 2024", "DS-10452 (3)",
    "SPEC-AB123 (b)", "SPEC-AB123 (QA)", "DS-10452 r3x", "DS-10452 Rev 3-A", "DS-10452 rB",
])
def test_what_only_looks_like_a_revision_is_not_taken(matcher, text):
    found = matcher.find(text)
    assert [(m.number, m.revision) for m in found] == [(text.split()[0].split("_")[0], None)]
    assert found[0].end == len(found[0].number)


def test_a_revision_that_does_not_fit_the_familys_scheme_is_not_taken(matcher):
    assert read(matcher, "SPEC-AB123 Rev 3 applies") == [("SPEC-AB123", None, "SPEC-AB123")]
    assert read(matcher, "DS-10452 Rev B applies") == [("DS-10452", None, "DS-10452")]
    assert read(matcher, "DS-10452 (B) applies") == [("DS-10452", None, "DS-10452")]
    # a family without a scheme takes either; "(X)" only for one capital letter
    assert read(matcher, "ECO-24-0117 (C) and ECO-24-0118 Rev 2") == [
        ("ECO-24-0117", "C", "ECO-24-0117 (C)"), ("ECO-24-0118", "2", "ECO-24-0118 Rev 2")]
    assert matcher.fullmatch("SPEC-AB123 Rev 3") is None


def test_revision_labels_come_from_the_rules():
    issue = matcher_for(RULES + '\n[revisions]\nlabels = ["Issue", "Ausgabe"]\n')
    assert read(issue, "DS-10452 Issue 04 and DS-10453 Ausgabe 2") == [
        ("DS-10452", "4", "DS-10452 Issue 04"), ("DS-10453", "2", "DS-10453 Ausgabe 2")]
    assert read(issue, "DS-10452 Rev 4") == [("DS-10452", None, "DS-10452")]
    assert read(issue, "DS-10452_r4") == [("DS-10452", "4", "DS-10452_r4")]  # the fixed short form stays


def test_the_slash_form_is_read_only_in_a_reference_a_person_types(matcher):
    assert read(matcher, "DS-10452/3 and DS-10452/Rev 3") == [
        ("DS-10452", None, "DS-10452"), ("DS-10452", "3", "DS-10452/Rev 3")]
    assert matcher.fullmatch("DS-10452/3").revision == "3"
    assert matcher.fullmatch("SPEC-AB123/b").revision == "B"
    assert matcher.fullmatch("DS-10452/B") is None  # not a numeric revision


@pytest.mark.parametrize("typed", [
    "DS-10452 Rev 3", "DS-10452 rev. 3", "DS-10452 Revision 03", "DS-10452/3", "DS-10452_r3", "ds 10452 rev 3",
    " DS-10452 (Rev 3) ", "ds_10452 r03",
])
def test_a_typed_reference_with_a_revision_is_the_same_identifier_however_written(matcher, typed):
    m = matcher.fullmatch(typed)
    assert (m.family, m.number, m.revision, m.token) == ("drawing", "DS-10452", "3", "ds-10452@3")


def test_search_queries_with_a_revision_ask_for_the_normalised_revision(matcher):
    for query in ("DS-10452 Rev 3", "DS-10452 rev. 03", "DS-10452/3", '"DS-10452 Revision 03"'):
        assert q.parse(query, matcher) == q.Ident("DS-10452", "3"), query
    assert q.parse("DS-10452 Revision history", matcher) == q.And(
        (q.Ident("DS-10452"), q.Word("Revision"), q.Word("history")))
    assert q.parse("rev:03", matcher) == q.Exact("revision", "3")
    assert q.parse("number:DS-10452_r03", matcher) == q.And(
        (q.Exact("number", "ds-10452"), q.Exact("revision", "3")))


# -- through a real catalog -----------------------------------------------------------------------
DRAWINGS = {  # file -> (header as written, date); revision 10 is dated before 9 so that dates cannot order them
    "housing-a.txt": ("Document No: DS-10452 Revision 02", "2023-01-10"),
    "housing-b.txt": ("Document No: DS-10452 Rev. 3", "2023-04-10"),
    "housing-c.txt": ("Document No: DS-10452 rev 9", "2024-06-10"),
    "housing-d.txt": ("Document No: DS-10452 Rev 10", "2024-02-10"),
    "lid-a.txt": ("Document No: SPEC-AB123 Rev A", "2022-01-10"),
    "lid-z.txt": ("Document No: SPEC-AB123 Rev Z", "2023-01-10"),
    "lid-aa.txt": ("Document No: SPEC-AB123 Rev AA", "2022-06-10"),
    "lid-b.txt": ("Document No: SPEC-AB123 Rev B", "2022-03-10"),
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("revforms")
    folder, home = root / "in", root / "home"
    folder.mkdir()
    home.mkdir()
    (home / "rules.toml").write_text(RULES)
    for name, (header, day) in DRAWINGS.items():
        (folder / name).write_text(f"{header}\nDate: {day}\n\nDrawing of the pump housing, as released.\n")
    with Dms(load_settings(environ={}, home=home)) as app:
        ingest(app, [folder], inline=True)
        yield app, folder


def path_of(folder, name):
    return str(folder / name)


def test_the_catalog_holds_revisions_in_their_normal_form(catalog):
    app, folder = catalog
    got = {d.name: (d.version.number, d.version.revision) for d in app.catalog.same_number("DS-10452")}
    assert got == {"housing-a.txt": ("DS-10452", "2"), "housing-b.txt": ("DS-10452", "3"),
                   "housing-c.txt": ("DS-10452", "9"), "housing-d.txt": ("DS-10452", "10")}


@pytest.mark.parametrize("ref", [
    "DS-10452 Rev 3", "DS-10452 rev. 3", "DS-10452 Revision 03", "DS-10452/3", "DS-10452_r3", "ds 10452 rev 3",
])
def test_every_written_form_resolves_to_the_same_document(catalog, ref):
    app, folder = catalog
    assert resolve(app, ref).path == path_of(folder, "housing-b.txt")
    assert show(app, ref, text=False)["revision"] == "3"


def test_a_number_without_revision_resolves_to_its_latest_revision_ten_after_nine(catalog):
    app, folder = catalog
    assert resolve(app, "DS-10452").path == path_of(folder, "housing-d.txt")
    assert resolve(app, "SPEC-AB123").path == path_of(folder, "lid-aa.txt")
    assert in_force(app, "DS-10452", "2025-01-01").path == path_of(folder, "housing-d.txt")


def test_revisions_are_listed_in_revision_order_numbers_by_value_letters_a_to_z_then_aa(catalog):
    app, _ = catalog
    assert [r["revision"] for r in revisions(app, "DS-10452 Rev 3")] == ["2", "3", "9", "10"]
    assert [r["revision"] for r in revisions(app, "SPEC-AB123")] == ["A", "B", "Z", "AA"]


def test_search_with_a_revision_finds_that_revision_first(catalog):
    app, folder = catalog
    for query in ("DS-10452 Rev 3", "DS-10452 rev. 03", "DS-10452 Revision 3"):
        assert search(app, query).hits[0].path == path_of(folder, "housing-b.txt"), query
    assert search(app, "SPEC-AB123 rev-b").hits[0].path == path_of(folder, "lid-b.txt")


def test_a_revision_stored_with_a_leading_zero_still_resolves(catalog):
    app, folder = catalog
    users.add(app.catalog, "ada", "admin", "a long enough password 1", by="ada")
    records.edit(app, path_of(folder, "housing-a.txt"), "ada", "as written on the drawing", revision="02")
    doc = resolve(app, path_of(folder, "housing-a.txt"))
    assert doc.version.revision == "2"  # a correction is stored in the one normal form
    # a catalog written before revisions were normalised still holds "02"
    app.catalog.conn.execute("UPDATE versions SET revision = '02' WHERE id = ?", (doc.version.id,))
    assert resolve(app, path_of(folder, "housing-a.txt")).version.revision == "02"
    assert resolve(app, "DS-10452 Rev 2").path == path_of(folder, "housing-a.txt")
    assert resolve(app, "DS-10452 rev. 02").path == path_of(folder, "housing-a.txt")
    assert [r["revision"] for r in revisions(app, "DS-10452")] == ["02", "3", "9", "10"]
