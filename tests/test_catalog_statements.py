"""The catalog's statements give the same answers on SQLite and on PostgreSQL: each test names a construct the
two dialects read differently (a bare `user` is PostgreSQL's role name, json1 against jsonb, `instr`, `TOTAL`,
`SUM` of a condition, `lastrowid`, NUL in text, a failed statement aborting a PostgreSQL transaction) and checks
the catalog function that uses it, on both catalogs."""

from __future__ import annotations

import json
import re

import pytest

from dms import audit
from dms.auditactions import INGEST, METADATA_EDITED
from dms.catalog import changes, datesettle, derived, followup, indexstamp, ocrwork, pagetext
from dms.errors import DuplicateKey
from dms.model import Extraction, Problem, Reference

pytestmark = pytest.mark.both_catalogs


def _version(dms, path: str, **fields) -> tuple[int, int]:
    """A document at `path` with one version of these extraction fields: (doc id, version id)."""
    catalog = dms.catalog
    with catalog.transaction():
        doc_id, _ = catalog.ensure_document(path, path.rsplit("/", 1)[-1])
        vid = catalog.add_version(doc_id, f"{abs(hash(path)):064x}"[:64], 10, 1, Extraction(status="ok", **fields))
    return doc_id, vid


def test_audit_reads_name_the_user_who_acted_not_the_database_role(dms):
    doc_id, _ = _version(dms, "/in/a.txt", pages=("gasket",))
    audit.record(dms.catalog, "cora", INGEST, f"doc:{doc_id}", {"path": "/in/a.txt"})
    audit.record(dms.catalog, "mona", METADATA_EDITED, f"doc:{doc_id}", {"reason": "typo", "before": {},
                                                                          "after": {}, "version": 1})
    assert ocrwork.ingested_by(dms.catalog, doc_id) == "cora"
    assert [e.user for e in derived.hand_edits(dms.catalog)[doc_id]] == ["mona"]
    assert [e.user for e in derived.hand_edits(dms.catalog, [doc_id])[doc_id]] == ["mona"]
    assert [e["user"] for e in audit.history(dms.catalog, f"doc:{doc_id}")] == ["cora", "mona"]


def test_a_requests_history_keeps_who_moved_it(dms):
    with dms.catalog.transaction():
        changes.insert_request(dms.catalog, "CR-1", "t", "sofia", "draft", {}, "2024-01-01T00:00:00+00:00")
        changes.add_history(dms.catalog, "CR-1", "2024-01-01T00:00:00+00:00", "sofia", None, "draft", "")
    assert [(h.user, h.to_state) for h in changes.history(dms.catalog, "CR-1")] == [("sofia", "draft")]


def test_the_yearly_counter_starts_after_serials_on_file_and_counts_on(dms):
    _version(dms, "/in/cr.txt", number="CR-2031-007")
    pattern = re.compile(r"CR-2031-(\d+)$")
    with dms.catalog.transaction():
        first = changes.next_serial(dms.catalog, 2031, pattern)
        second = changes.next_serial(dms.catalog, 2031, pattern)
    assert (first, second) == (8, 9)
    with dms.catalog.transaction():
        assert changes.next_serial(dms.catalog, 2031, pattern) == 10


def test_a_failed_part_of_a_transaction_is_undone_alone_and_the_rest_commits(dms):
    catalog = dms.catalog
    with catalog.transaction():
        kept, _ = catalog.ensure_document("/in/kept.txt", "kept.txt")
        with pytest.raises(DuplicateKey), catalog.savepoint():
            catalog.conn.execute("INSERT INTO documents (path, name, created_at) VALUES (?, ?, ?)",
                                 ("/in/other.txt", "other.txt", "2024-01-01"))
            catalog.conn.execute("INSERT INTO documents (path, name, created_at) VALUES (?, ?, ?)",
                                 ("/in/kept.txt", "kept.txt", "2024-01-01"))  # the path is taken
        with catalog.savepoint(), catalog.savepoint():  # nested parts that succeed stay
            later, _ = catalog.ensure_document("/in/later.txt", "later.txt")
    assert catalog.document_count() == 2 and not catalog.conn.in_transaction
    assert catalog.conn.execute("SELECT path FROM documents ORDER BY path").fetchall() == [
        ("/in/kept.txt",), ("/in/later.txt",)]


def test_a_part_outside_a_transaction_is_a_transaction_of_its_own(dms):
    catalog = dms.catalog
    with pytest.raises(DuplicateKey), catalog.savepoint():
        catalog.ensure_document("/in/a.txt", "a.txt")
        catalog.conn.execute("INSERT INTO documents (path, name, created_at) VALUES (?, ?, ?)",
                             ("/in/a.txt", "a.txt", "2024-01-01"))
    assert catalog.document_count() == 0 and not catalog.conn.in_transaction


def test_new_rows_get_their_ids_back_without_lastrowid(dms):
    doc_id, vid = _version(dms, "/in/a.txt", pages=("one", "two"),
                           references=(Reference("specification", "SPEC-1", None, 2, 7, "see SPEC-1"),))
    assert dms.catalog.document(doc_id).version.id == vid and dms.catalog.pages(vid) == ("one", "two")
    assert dms.catalog.references(vid) == (Reference("specification", "SPEC-1", None, 2, 7, "see SPEC-1"),)
    assert list(dms.catalog.all_references()) == [(doc_id, Reference("specification", "SPEC-1", None, 2, 7,
                                                                     "see SPEC-1"))]
    link = dms.catalog.add_manual_link(f"doc:{doc_id}", "number:SPEC-1", "relates_to", "same", "cora")
    [row] = dms.catalog.manual_links()
    assert row["id"] == link and row["created_by"] == "cora" and row["removed_at"] is None
    assert list(row) == ["id", "source", "target", "type", "reason", "created_by", "created_at", "removed_by",
                         "removed_at", "removal_reason"]


def test_text_with_nul_characters_is_stored(dms):
    doc_id, vid = _version(dms, "/in/nul.txt", title="odd\x00title", pages=("page\x00one",),
                           problems=(Problem("odd", "a reason\x00", "warning"),))
    stored = dms.catalog.document(doc_id).version.title
    assert stored.replace("\x00", "") == "oddtitle"
    if dms.catalog.dialect == "postgresql":  # its text cannot hold NUL: they are left out
        assert stored == "oddtitle" and dms.catalog.pages(vid) == ("pageone",)


def test_index_work_and_stamp_see_documents_never_indexed(dms):
    first, v1 = _version(dms, "/in/a.txt", pages=("a",))
    second, v2 = _version(dms, "/in/b.txt", pages=("b",))
    assert dms.catalog.index_work() == ([first, second], [])
    before = indexstamp.index_stamp(dms.catalog)
    assert before[:2] == (0, 0)
    dms.catalog.mark_indexed([(first, v1)])
    assert dms.catalog.index_work() == ([second], [])
    after = indexstamp.index_stamp(dms.catalog)
    assert after != before and after[:2] == (1, v1)


def test_counts_of_present_fields_per_type_and_number(dms):
    _version(dms, "/in/a.txt", doc_type="letter", number="L-1", revision="A")
    _version(dms, "/in/b.txt", doc_type="letter", number="L-1", doc_date="2024-01-01")
    _version(dms, "/in/c.txt", doc_type="letter")
    assert derived.shares_by_type(dms.catalog) == {"letter": (3, 2, 1)}
    assert list(derived.numbers_with_revisions(dms.catalog)) == [("L-1", 2, 1)]


def test_review_candidates_include_documents_with_a_doubtful_source(dms):
    sure, _ = _version(dms, "/in/sure.txt", number="N-1", revision="A", doc_date="2024-01-01",
                       sources={"date": {"source": "label", "doubtful": None}, "number": "hand"})
    doubtful, _ = _version(dms, "/in/doubt.txt", number="N-2", revision="A", doc_date="2024-01-01",
                           sources={"date": {"source": "label", "doubtful": "two dates"}})
    missing, _ = _version(dms, "/in/none.txt", number="N-3", revision="A")
    assert [d.id for d in derived.review_candidates(dms.catalog)] == [doubtful, missing]
    assert sure not in [d.id for d in derived.review_candidates(dms.catalog)]


def test_mails_and_the_people_their_headers_name(dms):
    mail, _ = _version(dms, "/in/m.eml", kind="eml", meta={"from": ["Ada <ada@x.org>"], "to": ["Bo <bo@x.org>", 7],
                                                           "cc": "not a list"})
    attached, _ = _version(dms, "/in/m.eml#1:f.eml", kind="text", meta={"message_id": "<1@x>", "from": ["Cy <c@x>"]})
    _version(dms, "/in/plain.txt", kind="text", meta={"message_id": None})
    assert [d.id for d in followup.mails(dms.catalog)] == [mail, attached]
    assert followup.mail_identities(dms.catalog) == {"Ada <ada@x.org>", "Bo <bo@x.org>", "Cy <c@x>"}


def test_pages_holding_words_and_slices_of_a_page(dms):
    _, vid = _version(dms, "/in/a.txt", pages=("The Walnut gasket", "nothing", "a 100% WALNUT lid"))
    assert pagetext.pages_holding(dms.catalog, vid, ["walnut"], 5) == [1, 3]
    assert pagetext.pages_holding(dms.catalog, vid, ["100%"], 5) == [3]
    assert pagetext.pages_holding(dms.catalog, vid, ["walnut"], 1) == [1]
    assert pagetext.page_lengths(dms.catalog, vid) == [17, 7, 17]
    assert pagetext.page_chars(dms.catalog, vid, 1, 4, 6) == "Walnut"
    assert pagetext.page_chars(dms.catalog, vid, 9, 0, 6) == ""


def test_a_settled_date_keeps_the_other_sources(dms):
    doc_id, vid = _version(dms, "/in/f/a.txt", sources={"number": {"source": "label"}, "date": {"source": "x"}})
    _version(dms, "/in/f0.txt")  # beside the folder, not in it
    _version(dms, "/in/f/sub/b.txt")  # below it
    [found] = datesettle.in_folder(dms.catalog, "/in/f")
    assert (found.doc_id, found.date) == (doc_id, {"source": "x"})
    datesettle.set_date(dms.catalog, vid, "2024-02-03", {"source": "folder", "evidence": ["b"]})
    version = dms.catalog.version(vid)
    assert version.doc_date == "2024-02-03" and version.date_source == "folder"
    assert version.sources == {"number": {"source": "label"}, "date": {"source": "folder", "evidence": ["b"]}}
    assert [d.date for d in datesettle.dated_documents(dms.catalog, [doc_id])] == [version.sources["date"]]


def test_stats_and_stored_blobs_count_each_original_once(dms):
    _, vid = _version(dms, "/in/a.txt", pages=("a",))
    catalog = dms.catalog
    with catalog.transaction():
        copy, _ = catalog.ensure_document("/in/copy.txt", "copy.txt")
        copied = catalog.copy_version(copy, vid, 10, 2)
    assert catalog.pages(copied) == ("a",)
    stats = catalog.stats()
    assert (stats["versions"], stats["stored_bytes"], stats["pages"]) == (2, 10, 2)
    assert list(catalog.all_version_blobs()) == [(catalog.version(vid).sha256, 10, "/in/a.txt")]
    assert json.dumps(stats)  # plain numbers, never Decimal


def test_free_text_people_type_is_stored_without_nul_characters(dms):
    from dms.catalog import matters, records

    doc_id, vid = _version(dms, "/in/a.txt", title="plain")
    with dms.catalog.transaction():
        records.update_version_fields(dms.catalog, vid, {"title": "new\x00 title"})
        records.retire(dms.catalog, doc_id, "cora", "sent\x00 in error", "2024-01-01T00:00:00+00:00")
        matters.add(dms.catalog, "M1", "a\x00b", "", {"documents": [doc_id]}, "cora", "2024-01-01T00:00:00+00:00")
        changes.insert_request(dms.catalog, "CR-1", "t\x00itle", "sofia", "draft", {}, "2024-01-01T00:00:00+00:00")
    assert dms.catalog.version(vid).title == "new title"
    assert records.lifecycle(dms.catalog, doc_id).retire_reason == "sent in error"
    assert matters.listing(dms.catalog)[0]["description"] == "ab"
    assert changes.request(dms.catalog, "CR-1").title == "title"


def test_a_synthetic_archive_loads_with_its_ids_and_new_rows_come_after_them(dms):
    from dms.catalog import samples

    at = "2024-01-01T00:00:00+00:00"
    samples.load_synthetic(
        dms.catalog, documents=[(5, "/s/a.txt", "a.txt", 7, at)],
        versions=[(7, 5, 1, "a" * 64, 3, 1, at, "ok", "text", "text", "A", "other", None, "N-1", None, "[]", "[]")],
        pages=[(7, 1, "synthetic page")], refs=[(7, "specification", "SPEC-1", None, 1, 0, "SPEC-1")])
    assert dms.catalog.document(5).version.id == 7 and dms.catalog.pages(7) == ("synthetic page",)
    doc_id, vid = _version(dms, "/s/b.txt")
    assert doc_id > 5 and vid > 7


# -- the statements' text, no catalog needed ---------------------------------------------------------------------

_SQL_WORDS = re.compile(r"\b(?:SELECT|INSERT INTO|UPDATE|DELETE FROM|WHERE|ORDER BY)\b")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_BARE = re.compile(r"(?<![\w.\"])(?:\w+\.)?(user|offset)\b(?![\"(])")
_LEGACY = {"migrations.py"}  # the frozen SQLite steps of the schema before Alembic (never run on PostgreSQL)


def bare_keyword_columns(source: str) -> list[str]:
    """The SQL texts in a module's string constants that name a `user` or `offset` column without quotes: on
    PostgreSQL a bare `user` is the current role (no error, a wrong answer) and `offset` a syntax error."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL_WORDS.search(node.value):
            if _BARE.search(_QUOTED.sub("''", node.value)):
                found.append(f"{node.lineno}: {node.value.strip()[:100]}")
    return found


def test_the_scan_finds_bare_user_and_offset_columns_and_passes_quoted_ones():
    assert bare_keyword_columns('q = "SELECT user, at FROM audit_log WHERE id = ?"')
    assert bare_keyword_columns('q = "INSERT INTO refs (page, offset) VALUES (?, ?)"')
    assert bare_keyword_columns('q = "SELECT r.offset FROM refs r ORDER BY r.page"')
    assert bare_keyword_columns("q = f\"SELECT {cols} FROM t WHERE user = ?\"")
    assert not bare_keyword_columns('q = \'SELECT "user", r."offset" FROM t r WHERE "user" = ?\'')
    assert not bare_keyword_columns('q = "SELECT name FROM users WHERE user_id = ? ORDER BY id"')
    assert not bare_keyword_columns("q = \"SELECT id FROM audit_log WHERE subject = 'user:ada'\"")
    assert not bare_keyword_columns('q = "the user who acted"')  # not a statement


def test_no_catalog_statement_names_a_user_or_offset_column_bare():
    from conftest import REPO

    found = [f"{p.name}:{hit}" for p in sorted((REPO / "dms" / "catalog").glob("*.py")) if p.name not in _LEGACY
             for hit in bare_keyword_columns(p.read_text(encoding="utf-8"))]
    assert found == [], "quote these columns (\"user\", \"offset\"):\n" + "\n".join(found)
