"""Explaining, checking and fixing metadata: `dms explain`, `dms rules check`, `dms rederive` and the review
queue (`dms review`, /review), on a real catalog of real files."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

import pytest
from conftest import password_of, run_dms, run_json, write_pdf, write_slow_pdf

from dms import audit, records, users
from dms.app import Dms
from dms.catalog import ocrwork
from dms.config import load_settings
from dms.explain import explain_document, explain_file
from dms.ingest.pipeline import ingest
from dms.rederive import ACTION, edited_by_hand, rederive
from dms.review import review
from dms.rulescheck import check
from dms.search import search

# The archive's own rules after the user tuned them: a label of their contracts' numbers, a product's name.
TUNED_RULES = """
[numbers]
labels = ["Document No", "Vertragsnummer"]
from_file_name = true

[products]
pattern = '\\b[A-Z]{2}\\d{3}\\b'
[products.aliases]
"Vantor Pump 300" = "VP300"
"""


def write_archive(folder: Path) -> Path:
    """Three dated specifications and one undated, a change request, and notes naming a product and a contract
    only in words the built-in rules do not read."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "SPEC-KX200-03.pdf", ["Specification SPEC-KX200-03 Rev B\nDate: 2023-03-01\nKX200 lid hinge\n"
                                             "Implements CR-2023-014 (stiffer spring)"])
    write_pdf(folder / "SPEC-KX200-04.pdf", ["Specification SPEC-KX200-04 Rev A\nDate: 2023-04-11\nKX200 heater"])
    (folder / "SPEC-KX300-01.txt").write_text("Specification SPEC-KX300-01 Rev C\nKX300 spout, no date given\n")
    write_pdf(folder / "CR-2023-014.pdf", ["Change Request CR-2023-014\nDate: 2023-02-10\nKX200 lid hinge spring"])
    (folder / "notes.txt").write_text("Supplier call\nWe talked about the Vantor Pump 300 seal.\nMore words here.\n"
                                      "Vertragsnummer: CTR-2023-007\n")
    return folder


@pytest.fixture
def archive(tmp_path):
    """An archive with the files of write_archive() ingested and one admin, cora."""
    settings = load_settings(environ={"DMS_WORKERS": "1", "DMS_USER": "cora"}, home=tmp_path / "home")
    with Dms(settings) as app:
        ingest(app, [write_archive(tmp_path / "inbox")], inline=True)
        users.add(app.catalog, "cora", "admin", password_of("cora"), by="cora")
    return settings, tmp_path / "inbox"


def _doc(app: Dms, name: str):
    return next(d for d in app.catalog.all_documents() if d.path.endswith(name))


def _field(explained: dict, name: str) -> dict:
    return next(f for f in explained["fields"] if f["field"] == name)


# -- explain ---------------------------------------------------------------------------------------------


def test_explain_names_the_line_and_words_each_field_came_from(archive):
    settings, _ = archive
    with Dms(settings) as app:
        explained = explain_document(app, "SPEC-KX200-03 Rev B")
    date, number = _field(explained, "date"), _field(explained, "number")
    assert explained["in_catalog"] and date["value"] == "2023-03-01" and number["value"] == "SPEC-KX200-03"
    assert date["source"]["page"] == 1 and "2023-03-01" in date["source"]["line"]
    assert "page 1" in date["how"] and "Date: 2023-03-01" in date["how"]
    assert _field(explained, "revision")["value"] == "B"
    assert [(x["type"], x["to"]) for x in explained["links"]] == [("amends", "CR-2023-014")]
    assert explained["stale"] == [] and explained["hint"] is None


def test_explain_names_who_corrected_a_field_by_hand_when_and_why(archive):
    settings, _ = archive
    with Dms(settings) as app:
        records.edit(app, "SPEC-KX300-01", "cora", "read on the drawing", date="2023-06-01")
        date = _field(explain_document(app, "SPEC-KX300-01"), "date")
    assert date["value"] == "2023-06-01" and date["hand"]["by"] == "cora"
    assert date["how"].startswith("corrected by hand by cora on 20") and date["how"].endswith(": read on the drawing")


def test_explain_says_when_the_rules_changed_since_and_suggests_rederive(archive):
    settings, _ = archive
    (settings.home / "rules.toml").write_text(TUNED_RULES)
    proc = run_dms(settings.home, "explain", str(archive[1] / "notes.txt"))
    assert "VP300" in proc.stdout and "alias 'Vantor Pump 300'" in proc.stdout
    assert "dms rederive" in proc.stdout
    data = run_json(settings.home, "explain", str(archive[1] / "notes.txt"))
    assert {s["field"] for s in data["stale"]} >= {"number", "products"}


def test_explain_of_a_file_outside_the_archive_derives_it_without_ingesting(archive, tmp_path):
    settings, _ = archive
    outside = write_pdf(tmp_path / "SPEC-KX500-02.pdf", ["Specification SPEC-KX500-02 Rev D\nDate: 2024-01-15\nKX500"])
    with Dms(settings) as app:
        before = app.catalog.stats()
    explained = explain_file(settings, outside)
    assert not explained["in_catalog"] and explained["status"] == "ok"
    assert _field(explained, "number")["value"] == "SPEC-KX500-02" and _field(explained, "revision")["value"] == "D"
    assert _field(explained, "date")["source"]["line"] == "Date: 2024-01-15"
    cli = run_json(settings.home, "explain", str(outside))
    assert cli["fields"] == explained["fields"]
    with Dms(settings) as app:
        assert app.catalog.stats() == before


def test_explain_of_a_file_honours_the_size_and_time_bounds(archive, tmp_path):
    settings, _ = archive
    big = tmp_path / "big.txt"
    big.write_text("Document No: CR-2024-001\n" + "x" * 3_000_000)
    explained = explain_file(load_settings(environ={"DMS_MAX_FILE_MB": "1"}, home=settings.home), big)
    assert explained["status"] == "failed" and explained["problems"][0]["kind"] == "oversized"
    quick = load_settings(environ={"DMS_EXTRACT_TIMEOUT": "1"}, home=settings.home)
    explained = explain_file(quick, write_slow_pdf(tmp_path / "slow.pdf"))
    assert explained["status"] == "failed" and explained["problems"][0]["kind"] == "timeout"


# -- rules check ----------------------------------------------------------------------------------------


def test_rules_check_counts_coverage_and_lists_the_files_missing_a_field(tmp_path):
    folder = write_archive(tmp_path / "inbox")
    home = tmp_path / "never-made"
    data = run_json(home, "rules", "check", str(folder))
    assert data["files"] == data["read"] == 5 and data["numbered"] == 4
    assert data["coverage"]["number"] == {"count": 4, "of": 5, "percent": 80.0}
    assert data["coverage"]["date"]["count"] == 3
    assert data["coverage"]["products"] == {"count": 4, "of": 5, "percent": 80.0}
    assert [Path(p).name for p in data["missing"]["date"]] == ["SPEC-KX300-01.txt", "notes.txt"]
    assert [Path(p).name for p in data["missing"]["number"]] == ["notes.txt"]
    assert [Path(p).name for p in data["missing"]["revision"]] == ["CR-2023-014.pdf"]
    assert not home.exists()  # nothing was written: no data directory, catalog or store


def test_rules_check_with_a_rules_file_shows_what_the_tuned_rules_find(tmp_path):
    folder = write_archive(tmp_path / "inbox")
    rules = tmp_path / "rules.toml"
    rules.write_text(TUNED_RULES)
    settings = load_settings(environ={"DMS_WORKERS": "1"}, home=tmp_path / "home")
    data = check(settings, folder, rules)
    assert data["coverage"]["number"]["count"] == 5 and data["missing"]["number"] == []
    assert data["coverage"]["products"]["count"] == 5 and data["rules"] == str(rules)


def test_rules_check_writes_nothing_to_an_archive(archive):
    settings, folder = archive
    stored = sorted(p for p in settings.store_dir.rglob("*") if p.is_file())
    with Dms(settings) as app:
        before = app.catalog.stats(), len(audit.history(app.catalog, "archive"))
    extra = write_pdf(folder / "CR-2024-002.pdf", ["Change Request CR-2024-002\nDate: 2024-02-02"])
    data = run_json(settings.home, "rules", "check", str(folder))
    assert data["read"] == 6 and str(extra) not in data["missing"]["number"]
    assert sorted(p for p in settings.store_dir.rglob("*") if p.is_file()) == stored
    with Dms(settings) as app:
        assert (app.catalog.stats(), len(audit.history(app.catalog, "archive"))) == before


def test_a_bad_rules_file_is_a_clear_config_error(tmp_path):
    folder = write_archive(tmp_path / "inbox")
    bad = tmp_path / "bad.toml"
    bad.write_text("[identifiers]\nspecification = 'SPEC-[A-Z'\n")
    proc = run_dms(tmp_path / "home", "rules", "check", str(folder), "--rules", str(bad), check=False)
    assert proc.returncode == 2 and "bad regular expression" in proc.stderr and str(bad) in proc.stderr
    proc = run_dms(tmp_path / "home", "rules", "check", str(folder), "--rules", str(tmp_path / "nope.toml"),
                   check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr


# -- rederive ------------------------------------------------------------------------------------------------


def test_rederive_applies_changed_rules_and_keeps_hand_corrections(archive):
    settings, _ = archive
    with Dms(settings) as app:
        records.edit(app, "SPEC-KX300-01", "cora", "read on the drawing", date="2023-06-01", products=["KX301"])
        assert search(app, "product:VP300").total == search(app, "number:CTR-2023-007").total == 0
    (settings.home / "rules.toml").write_text(TUNED_RULES)
    with Dms(settings) as app:
        dry = rederive(app, dry_run=True)
        assert dry.fields["number"] == 1 and dry.fields["products"] == 1
        assert _doc(app, "notes.txt").version.products == ()  # a dry run writes nothing
        report = rederive(app)
        notes, spec = _doc(app, "notes.txt"), _doc(app, "SPEC-KX300-01.txt")
        assert notes.version.number == "CTR-2023-007" and notes.version.products == ("VP300",)
        assert notes.version.sources["products"]["source"] == "alias 'Vantor Pump 300'"
        assert spec.version.doc_date == "2023-06-01" and spec.version.products == ("KX301",)
        assert spec.version.sources["date"]["source"] == "hand"
        assert report.fields["number"] == 1 and report.fields["products"] == 1 and report.fields["date"] == 0
        assert report.kept_by_hand == 2
        assert edited_by_hand(app, spec.id) == {"doc_date", "date_source", "products"}  # what OCR's finish keeps
        assert [h.id for h in search(app, "product:VP300").hits] == [notes.id]
        assert [h.id for h in search(app, "number:CTR-2023-007").hits] == [notes.id]
        entries = [e for e in audit.history(app.catalog, "archive") if e["action"] == ACTION]
        assert len(entries) == 1 and entries[0]["details"]["fields"]["products"] == 1
        assert entries[0]["details"]["rules_sha256"] == report.rules_sha256
        again = rederive(app)
    assert again.changed == 0 and sum(again.fields.values()) == 0


def test_rederive_records_the_hash_of_the_rules_it_used(archive):
    settings, _ = archive
    (settings.home / "rules.toml").write_text(TUNED_RULES)
    data = run_json(settings.home, "rederive", env={"DMS_USER": "cora"})
    assert data["rules_sha256"] == hashlib.sha256(TUNED_RULES.encode()).hexdigest()
    assert data["fields"]["products"] == 1 and data["changed"] >= 1
    with Dms(settings) as app:
        (entry,) = [e for e in audit.history(app.catalog, "archive") if e["action"] == ACTION]
    assert entry["details"]["rules_sha256"] == data["rules_sha256"] and entry["user"] == "cora"


def _learn(app: Dms, name: str, doc_type: str, confidence: float) -> int:
    """Record a learned type the way the classifier does (value and provenance), for a document the rules
    give no type."""
    v = _doc(app, name).version
    learned = {"source": "learned", "page": None, "line": None, "words": None, "doubtful": None,
               "confidence": confidence}
    with app.catalog.transaction():
        ocrwork.rederive(app.catalog, v.id, {"doc_type": doc_type, "sources": {**v.sources, "type": learned}},
                         app.catalog.references(v.id))
    return v.document_id


def test_a_learned_value_is_shown_as_a_suggestion_and_kept_while_the_rules_give_none(archive):
    settings, _ = archive
    with Dms(settings) as app:
        doc_id = _learn(app, "notes.txt", "report", 0.83)
        assert _field(explain_document(app, str(doc_id)), "type")["how"] == "suggested (learned, 83%)"
        rederive(app)
        assert _doc(app, "notes.txt").version.doc_type == "report"
        _learn(app, "SPEC-KX200-04.pdf", "report", 0.9)  # a rule names this one's type: the rule wins
        assert rederive(app).fields["type"] == 1
        assert _doc(app, "SPEC-KX200-04.pdf").version.doc_type == "specification"


# -- review -----------------------------------------------------------------------------------------------------


def test_review_lists_a_document_without_a_date_until_it_is_given_one(archive):
    settings, _ = archive
    with Dms(settings) as app:
        listed = review(app)
        assert [Path(i["path"]).name for i in listed["items"]] == ["SPEC-KX300-01.txt"]
        item = listed["items"][0]
        assert item["issues"] == [{"field": "date", "reason": "no date found"}]
        assert item["command"].startswith(f"dms edit {item['id']} --date YYYY-MM-DD --reason")
        assert item["url"] == f"/documents/{item['id']}?edit=1#edit"
        assert review(app, "number")["total"] == 0 and review(app, "date")["total"] == 1
        records.edit(app, str(item["id"]), "cora", "read on the drawing", date="2023-06-01")
        assert review(app)["total"] == 0
    assert run_dms(settings.home, "review").stdout.strip() == "nothing to review"


def test_review_lists_a_doubtful_date_with_the_command_that_confirms_it(archive):
    settings, _ = archive
    with Dms(settings) as app:
        v = _doc(app, "SPEC-KX200-04.pdf").version
        doubtful = {**v.sources["date"], "doubtful": "ambiguous numeric date read as DMY"}
        with app.catalog.transaction():  # as the date rules record an ambiguous date
            ocrwork.rederive(app.catalog, v.id, {"sources": {**v.sources, "date": doubtful}},
                             app.catalog.references(v.id))
        item = {i["id"]: i for i in review(app, "date")["items"]}[v.document_id]
        assert item["issues"] == [{"field": "date", "value": "2023-04-11",
                                   "reason": "doubtful date 2023-04-11: ambiguous numeric date read as DMY"}]
        assert item["command"] == f"dms edit {v.document_id} --date 2023-04-11 --reason 'checked against the original'"
        assert "doubtful: ambiguous numeric date read as DMY" in _field(explain_document(app, "SPEC-KX200-04"),
                                                                       "date")["how"]
    run_dms(settings.home, *shlex.split(item["command"])[1:], env={"DMS_USER": "cora"})  # the command as given
    with Dms(settings) as app:
        assert [Path(i["path"]).name for i in review(app, "date")["items"]] == ["SPEC-KX300-01.txt"]


def test_review_leaves_out_retired_documents(archive):
    settings, _ = archive
    with Dms(settings) as app:
        records.retire(app, "SPEC-KX300-01", "cora", "withdrawn")
        assert review(app)["total"] == 0


def test_the_review_page_links_each_document_to_its_correction_form(archive):
    from fastapi.testclient import TestClient

    from dms.web import create_app

    settings, _ = archive
    with TestClient(create_app(settings), follow_redirects=False) as client:
        signed = client.post("/sign-in", data={"name": "cora", "password": password_of("cora"), "next": "/"})
        assert signed.status_code == 303
        page = client.get("/review")
        assert page.status_code == 200 and 'href="/review"' in page.text
        with Dms(settings) as app:
            doc_id = _doc(app, "SPEC-KX300-01.txt").id
        assert f'href="/documents/{doc_id}?edit=1#edit"' in page.text and "no date found" in page.text
        assert "no date found" not in client.get("/review?field=number").text
        doc_page = client.get(f"/documents/{doc_id}").text
        assert 'id="edit">' in doc_page and "(from title line" in doc_page
        assert 'id="edit" open>' in client.get(f"/documents/{doc_id}?edit=1").text
        with Dms(settings) as app:
            records.edit(app, str(doc_id), "cora", "read on the drawing", date="2023-06-01")
        assert "no date found" not in client.get("/review").text
        with Dms(settings) as app:
            rederive(app)  # records the source of a field corrected by hand: "hand"
        assert "(corrected by hand)" in client.get(f"/documents/{doc_id}").text
        with Dms(settings) as app:
            learned = _learn(app, "notes.txt", "report", 0.83)
        assert "(suggested (learned, 83%))" in client.get(f"/documents/{learned}").text


def test_the_cli_review_json_is_the_library_review(archive):
    settings, _ = archive
    data = run_json(settings.home, "review", "--field", "date")
    with Dms(settings) as app:
        assert json.loads(json.dumps(review(app, "date"))) == data
