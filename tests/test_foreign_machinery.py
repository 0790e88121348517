"""A foreign archive read with the rules.toml its user wrote: a German packaging-machine maker.

The archive (tests/archives/machinery.py) shares nothing with the sample: drawings ZN-4711-03 with letter revisions
written a dozen ways, Änderungsanträge ÄA-2023-017 decided on the line under the agenda item, German dates. Each
field dms derives is held against the ground truth; letter revisions run past Z; the German dates are read.
"""

import re

import pytest
from archives import machinery
from archives.score import score, table

from dms.app import Dms
from dms.config import load_settings
from dms.documents import resolve, revisions
from dms.ingest.pipeline import ingest

FLOORS = {"number": 0.95, "revision": 0.95, "date": 0.95, "type": 0.95, "products": 0.9, "decided_in": 0.9,
          "amends": 0.9}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("machinery")
    truth = machinery.generate(root / "archiv")
    home = root / "home"
    home.mkdir()
    (home / "rules.toml").write_text(machinery.RULES, encoding="utf-8")
    with Dms(load_settings(environ={}, home=home)) as app:
        report = ingest(app, [root / "archiv"])
        yield app, root / "archiv", truth, report


@pytest.fixture(scope="module")
def scores(archive):
    app, folder, truth, _ = archive
    return score(app, folder, truth)


def test_the_generator_is_deterministic_and_has_the_breadth_it_promises(archive, tmp_path):
    _, folder, truth, _ = archive
    again = machinery.generate(tmp_path / "again")
    assert again == truth
    for path in ("txt", "md", "csv", "eml"):
        for f in folder.rglob(f"*.{path}"):
            assert (tmp_path / "again" / f.relative_to(folder)).read_bytes() == f.read_bytes(), f
    files = truth["files"]
    assert 120 <= len(files) <= 180
    assert {f["path"].rsplit(".", 1)[1] for f in files} == {"pdf", "docx", "xlsx", "csv", "eml", "txt", "md"}
    assert {p for f in files for p in f["products"]} == {"FM-4000", "FM-4500", "SL-12"}
    assert {"Y", "Z", "AA", "AB"} <= {f["revision"] for f in files}
    assert sum(len(f["decided_in"]) for f in files) >= 20 and sum(len(f["amends"]) for f in files) >= 15
    assert any("ÄA-" in f["path"] and f["path"].endswith(".eml") for f in files)
    assert {"ä", "Ä", "ü", " ", "_"} <= {c for f in files for c in f["path"]}


def test_every_file_of_the_archive_is_catalogued_without_problems(archive):
    app, folder, truth, report = archive
    missing = [f["path"] for f in truth["files"]
               if app.catalog.document_at_path(str(folder / f["path"])) is None]
    assert missing == [] and report.problems == []


@pytest.mark.parametrize("field", FLOORS)
def test_each_field_is_derived_as_the_ground_truth_says(scores, field):
    right, total, wrong = scores[field]
    assert total, f"nothing to score for {field}"
    listing = "\n".join(f"  {path}: got {got!r}, want {want!r}" for path, got, want in wrong)
    assert right / total >= FLOORS[field], f"{field}: {right}/{total}\n{table(scores)}\nwrong:\n{listing}"


def test_an_email_never_takes_a_number_from_its_subject_or_file_name(archive):
    app, folder, truth, _ = archive
    numbered = []
    for f in truth["files"]:
        if f["path"].endswith(".eml"):
            v = app.catalog.document_at_path(str(folder / f["path"])).version
            if v.number or v.revision:
                numbered.append((f["path"], v.number, v.revision))
    assert numbered == []


def test_letter_revisions_are_ordered_a_to_z_then_aa(archive):
    app = archive[0]
    assert [r["revision"] for r in revisions(app, "ZN-4700-01")] == ["Y", "Z", "AA", "AB"]
    assert [r["revision"] for r in revisions(app, "ZN-4711-07")] == ["A", "B", "C", "D"]
    assert resolve(app, "ZN-4700-01").version.revision == "AB"


MONTHS = "(January|February|March|April|May|June|July|August|September|October|November|December)"
DATE_FORMS = {  # each document's truth says the line that dates it
    "German month name with an umlaut (12. März 2024)": r"\b\d{1,2}\. März \d{4}",
    "German month name (3. Mai 2023)": r"\b\d{1,2}\. (Januar|Februar|April|Mai|Juni|Juli|August|September|Oktober"
                                       r"|November|Dezember) \d{4}",
    "day first, unambiguous (25.04.2024)": r"\b(1[3-9]|2\d|3[01])\.\d{2}\.\d{4}",
    "day first, ambiguous, read as DMY (03.04.2024)": r"\b(0[1-9]|1[0-2])\.(0[1-9]|1[0-2])\.\d{4}",
    "label 'Gültig ab'": r"\bGültig ab \d",
    "label 'Stand'": r"\bStand: \d",
    "label 'Eingang'": r"\bEingang: \d",
    "label 'Sitzungsdatum'": r"\bSitzungsdatum: \d",
    "in a table row or a pipe-separated header line": r"\|.*\d{4}",
    "English, month first (March 5, 2024)": rf"\b{MONTHS} \d{{1,2}}, \d{{4}}",
    "English, day first (5 March 2024)": rf"(^|[^.\d])\d{{1,2}} {MONTHS} \d{{4}}",
    "German letterhead (Bielefeld, 12. März 2024)": r"^Bielefeld, \d",
    "month first, settled by another date of the document (04/03/2024 beside 11/28/2023)": r"\d\d/\d\d/\d{4}",
}


@pytest.mark.parametrize("form", DATE_FORMS)
def test_german_and_english_dates_are_read_as_written(archive, form):
    app, folder, truth, _ = archive
    want = {f["path"]: f["date"] for f in truth["files"]}
    paths = [p for p, written in truth["written_dates"].items() if re.search(DATE_FORMS[form], written)]
    if "read as DMY" in form or "settled" in form:  # only where the order matters: 03.04., not 05.05. or 25.04.
        paths = [p for p in paths if want[p][5:7] != want[p][8:10] and int(want[p][8:10]) <= 12]
    assert paths, f"the archive has no date written as {form}"
    wrong = []
    for path in paths:
        got = app.catalog.document_at_path(str(folder / path)).version.doc_date
        if got != want[path]:
            wrong.append((path, truth["written_dates"][path], got, want[path]))
    assert wrong == []


def test_an_email_is_dated_by_its_date_header_not_the_dates_it_quotes(archive):
    app, folder, truth, _ = archive
    wrong = []
    for f in truth["files"]:
        if f["path"].endswith(".eml"):
            got = app.catalog.document_at_path(str(folder / f["path"])).version.doc_date
            if got != f["date"]:
                wrong.append((f["path"], got, f["date"]))
    assert wrong == []
