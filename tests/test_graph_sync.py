"""The graph's derived links kept as catalog rows (dms.graph.sync): after every kind of change, the rows a sync
derives incrementally are the rows a derivation from scratch gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time

import pytest
from conftest import pdf_bytes, write_eml

from dms import parties, records, users
from dms.catalog import linkrows
from dms.graph import sync as graph_sync
from dms.graph.build import build_graph
from dms.graph.compare import differences
from dms.graph.manual import add_link
from dms.ingest.pipeline import ingest

pytestmark = pytest.mark.both_catalogs


def from_scratch(dms) -> list[tuple]:
    """The rows a first sync would write now: derived again from nothing, then rolled back."""
    class Undo(Exception):
        pass

    try:
        with dms.catalog.transaction():
            linkrows.set_state(dms.catalog, {"format": "forces a derivation from scratch"})
            done = graph_sync.sync(dms)
            assert done is not None and done.full
            rows = linkrows.all_links(dms.catalog)
            raise Undo
    except Undo:
        return rows


def synced(dms) -> list[tuple]:
    graph_sync.sync(dms)
    assert graph_sync.current(dms)
    return linkrows.all_links(dms.catalog)


def assert_incremental_is_from_scratch(dms) -> list[tuple]:
    rows = synced(dms)
    assert rows == from_scratch(dms)
    return rows


def edges(dms) -> set[tuple]:
    """The derived links of build_graph (the in-memory derivation), as (source, type, target, evidence)."""
    g = build_graph(dms.catalog, dms.matcher)
    return {(u, d["type"], v, d["evidence"]) for u, v, d in g.edges(data=True) if not d.get("manual")}


def row_edges(rows: list[tuple]) -> set[tuple]:
    return {(source, kind, target, evidence) for _, source, target, kind, evidence, *_ in rows}


def spec(folder, name, number, revision, body=""):
    text = f"{number} Rev {revision}\nSpecification of the KX200 housing.\n{body}"
    (folder / name).write_bytes(pdf_bytes([text]))


@pytest.fixture
def archive(dms, inbox):
    spec(inbox, "spec-a.pdf", "SPEC-KX200-03", "A")
    spec(inbox, "spec-b.pdf", "SPEC-KX200-03", "B", "Implements CR-2023-014.")
    (inbox / "minutes.txt").write_text("Minutes MTG-2023-03-14\nCR-2023-014 housing change. Decision: approved.\n")
    write_eml(inbox / "reply.eml", "Re: KX200 housing", "Agreed, see CR-2023-014.",
              message_id="<r1@helix.example>", in_reply_to="<p1@nordlicht.example>")
    ingest(dms, [inbox])
    users.add(dms.catalog, "admin", "admin", "admin-password-1", by="admin")
    return inbox


def test_a_first_sync_derives_every_link_of_the_in_memory_graph(dms, archive):
    rows = synced(dms)
    assert rows and row_edges(rows) == edges(dms)
    assert {r[3] for r in rows} >= {"mentions", "revision_of", "supersedes", "involves"}


def test_a_sync_with_nothing_changed_writes_nothing(dms, archive):
    graph_sync.sync(dms)
    assert graph_sync.sync(dms) is None


def test_a_reply_ingested_before_its_parent_is_linked_when_the_parent_comes(dms, archive):
    synced(dms)
    write_eml(archive / "parent.eml", "KX200 housing", "Please review CR-2023-014.",
              message_id="<p1@nordlicht.example>")
    ingest(dms, [archive])
    rows = assert_incremental_is_from_scratch(dms)
    parent = dms.catalog.document_at_path(str(archive / "parent.eml"))
    reply = dms.catalog.document_at_path(str(archive / "reply.eml"))
    assert (f"doc:{reply.id}", "reply_to", f"doc:{parent.id}") in {(s, k, t) for s, k, t, _ in row_edges(rows)}


def test_a_new_revision_extends_the_chain_and_keeps_the_rest(dms, archive):
    synced(dms)
    spec(archive, "spec-c.pdf", "SPEC-KX200-03", "C", "Implements CR-2023-015.")
    ingest(dms, [archive])
    rows = assert_incremental_is_from_scratch(dms)
    assert sum(1 for r in rows if r[3] == "supersedes") == 2


def test_retire_restore_and_purge_take_links_out_and_back(dms, archive):
    synced(dms)
    middle = dms.catalog.document_at_path(str(archive / "spec-b.pdf"))
    records.retire(dms, str(middle.id), "admin", "withdrawn draft")
    rows = assert_incremental_is_from_scratch(dms)
    assert not [r for r in rows if r[0] == f"doc:{middle.id}"]
    records.restore(dms, str(middle.id), "admin", "was right after all")
    assert [r for r in assert_incremental_is_from_scratch(dms) if r[0] == f"doc:{middle.id}"]
    records.purge(dms, str(middle.id), "admin", "legal asked for it")
    assert not [r for r in assert_incremental_is_from_scratch(dms) if f"doc:{middle.id}" in (r[1], r[2])]


def test_a_correction_of_number_and_revision_moves_the_document_between_chains(dms, archive):
    synced(dms)
    first = dms.catalog.document_at_path(str(archive / "spec-a.pdf"))
    records.edit(dms, str(first.id), "admin", "it is another spec", number="SPEC-KX200-04", revision="A")
    rows = assert_incremental_is_from_scratch(dms)
    assert not [r for r in rows if r[3] == "supersedes"]  # SPEC-KX200-03 has one revision left, -04 one


def test_a_party_rename_and_its_undo_move_the_involves_links(dms, archive):
    before = synced(dms)
    named = sorted({r[2] for r in before if r[3] == "involves"})
    assert named, "the mail names parties"
    old = named[0].split(":", 1)[1]
    change = parties.rename(dms, old, "Renamed Party GmbH", "admin", "the company changed its name")
    rows = assert_incremental_is_from_scratch(dms)
    assert "party:Renamed Party GmbH" in {r[2] for r in rows} and named[0] not in {r[2] for r in rows}
    parties.undo(dms, change["id"], "admin", "a mistake")
    assert assert_incremental_is_from_scratch(dms) == before


def test_hand_made_links_stay_rows_of_their_own(dms, archive):
    before = synced(dms)
    a = dms.catalog.document_at_path(str(archive / "minutes.txt"))
    b = dms.catalog.document_at_path(str(archive / "reply.eml"))
    add_link(dms, f"doc:{a.id}", f"doc:{b.id}", "relates_to", "discussed together", by="admin")
    assert synced(dms) == before
    assert [link["type"] for link in dms.catalog.manual_links()] == ["relates_to"]


def test_a_change_of_the_rules_derives_every_link_again(dms, archive, monkeypatch):
    synced(dms)
    monkeypatch.setattr(graph_sync, "rules_stamp", lambda rules: "other rules")
    done = graph_sync.sync(dms)
    assert done is not None and done.full and graph_sync.current(dms)


def test_verify_finds_link_rows_that_disagree_with_the_documents_and_a_full_sync_mends_them(dms, archive):
    from dms.verify import verify

    rows = synced(dms)
    assert verify(dms).ok
    with dms.catalog.transaction():  # a row lost (a bad restore, a bug): the watermarks still say current
        linkrows.replace_links(dms.catalog, [rows[0][0]], [])
    report = verify(dms)
    assert not report.ok
    [problem] = [p for p in report.problems if p["kind"] == "links"]
    assert "link(s) missing" in problem["message"] and "dms graph sync --full" in problem["message"]
    assert graph_sync.sync(dms, full=True).full
    assert verify(dms).ok and linkrows.all_links(dms.catalog) == rows


def test_verify_counts_rows_changed_in_a_scope_and_rows_under_a_scope_nothing_makes(dms, archive):
    """dms verify compares scope by scope: a changed row is one missing and one extra; a row of a purged
    document's scope (or any scope no live document or number makes) is extra, and named."""
    from dms.graph.derive import LinkRow

    rows = synced(dms)
    assert differences(dms.catalog, dms.matcher)["links"] == len(rows)
    changed = next(r for r in rows if r[3] == "mentions")
    stray = LinkRow("doc:999999", "doc:999999", "id:CR-2023-014", "mentions", "a row no document makes")
    with dms.catalog.transaction():
        kept = [r for r in linkrows.links_in_scopes(dms.catalog, [changed[0]]) if r != changed]
        linkrows.replace_links(dms.catalog, [changed[0]], [LinkRow(*r) for r in kept]
                               + [LinkRow(*changed[:4], "evidence edited by hand", *changed[5:])])
        linkrows.replace_links(dms.catalog, ["doc:999999"], [stray])
    found = differences(dms.catalog, dms.matcher, most=10)
    assert (found["missing"], found["extra"], found["links"]) == (1, 2, len(rows) + 1)
    assert found["examples_missing"] == [changed]
    assert {r[0] for r in found["examples_extra"]} == {changed[0], "doc:999999"}
    assert graph_sync.sync(dms, full=True).full
    assert differences(dms.catalog, dms.matcher) | {"links": 0} == {
        "missing": 0, "extra": 0, "examples_missing": [], "examples_extra": [], "headers_missing": 0,
        "headers_extra": 0, "links": 0}


def test_dms_graph_sync_reports_what_it_derived(home, archive, database_url):
    import json
    import subprocess
    import sys

    from conftest import REPO

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "dms", "graph", "sync", "--json", *args], cwd=REPO,
                              capture_output=True, text=True, timeout=300,
                              env={**__import__("os").environ, "DMS_HOME": str(home)})
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = run()  # the ingest synced already: the rows are current
    assert first == {"full": False, "documents": 0, "numbers": 0, "links": 0}
    again = run("--full")
    assert again["full"] and again["documents"] == 4 and again["links"] > 10  # spec A, spec B, minutes, reply


def test_a_copy_that_becomes_the_original_when_the_original_changes_loses_its_duplicate_link(dms, archive):
    (archive / "copy-of-minutes.txt").write_bytes((archive / "minutes.txt").read_bytes())
    ingest(dms, [archive])
    copy = dms.catalog.document_at_path(str(archive / "copy-of-minutes.txt"))
    assert ("duplicate_of" in {r[3] for r in synced(dms) if r[0] == f"doc:{copy.id}"})
    (archive / "minutes.txt").write_text("Minutes MTG-2023-03-14\nCR-2023-014 postponed. Decision: deferred.\n")
    ingest(dms, [archive])  # the copy is now the only holder of those bytes: no version of its own changed
    rows = assert_incremental_is_from_scratch(dms)
    assert "duplicate_of" not in {r[3] for r in rows if r[0] == f"doc:{copy.id}"}


def test_a_party_name_too_long_for_an_index_entry_is_cut_and_the_graph_keeps_working(dms, inbox):
    from dms.graph import graph_for, trace
    from dms.graph.derive import MAX_NAME_CHARS

    write_eml(inbox / "long.eml", "CR-2023-014", "About CR-2023-014.", sender=f"{'Ö' * 3000} <a@example.test>")
    ingest(dms, [inbox])
    rows = synced(dms)
    assert max(len(r[2]) for r in rows) <= len("party:") + MAX_NAME_CHARS
    assert trace(graph_for(dms), "change_request:CR-2023-014", depth=1).total == 1


def test_a_document_id_beyond_the_catalog_s_integers_is_no_node(dms, archive):
    from dms.graph import graph_for

    assert "doc:99999999999999999999999" not in graph_for(dms)


@contextlib.contextmanager
def another_writer(dms):
    """A real process holding the catalog's write lock (a transaction left open) until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom dms.catalog import open_catalog\n"
         "c = open_catalog(sys.argv[1])\nwith c.transaction():\n    print('held', flush=True)\n    time.sleep(60)\n",
         str(dms.settings.catalog_location)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
        with dms.catalog.transaction():  # PostgreSQL frees a killed client's lock when it notices: wait for that
            pass


def test_a_question_asked_while_another_process_writes_answers_from_the_rows_without_waiting_long(dms, archive):
    """A real process holds the catalog's write lock (a long ingest): a trace that finds the rows behind the
    catalog waits about graph.QUESTION_WAIT for the lock, not the 30 s busy timeout, and answers from the rows."""
    from dms import graph

    doc = dms.catalog.document_at_path(str(archive / "minutes.txt"))
    with dms.catalog.transaction():
        dms.catalog.links_stale([doc.id])  # the rows are behind: the next question would bring them up to date
    before = linkrows.all_links(dms.catalog)
    with another_writer(dms):
        started = time.monotonic()
        g = graph.graph_for(dms)
        waited = time.monotonic() - started
        found = graph.trace(g, graph.node_for(dms, g, "CR-2023-014"), depth=1)
    assert graph.QUESTION_WAIT <= waited + 0.05 and waited < graph.QUESTION_WAIT + 10  # not the 30 s busy timeout
    assert {d["id"] for d in found.documents} >= {doc.id}
    assert linkrows.all_links(dms.catalog) == before  # nothing written: the rows as they were
    assert synced(dms) == from_scratch(dms)  # and the next question, with the lock free, brings them up to date


@pytest.mark.parametrize("wait", [0, 0.0004, 0.3])
def test_a_short_wait_for_the_write_lock_gives_up_in_time_and_leaves_no_transaction_open(dms, archive, wait):
    """PostgreSQL reads a lock_timeout of 0 as no limit at all: any wait under a millisecond is one millisecond."""
    from dms.errors import CatalogBusy

    with another_writer(dms):
        started = time.monotonic()
        with pytest.raises(CatalogBusy, match=f"waited {wait:g} s") as busy, dms.catalog.transaction(wait=wait):
            pass
        assert "30 s" not in str(busy.value)  # the wait it used, not the usual one
        assert time.monotonic() - started < wait + 5
        assert not dms.catalog.conn.in_transaction
        usual = "PRAGMA busy_timeout" if dms.catalog.dialect == "sqlite" else "SHOW lock_timeout"
        assert dms.catalog.conn.execute(usual).fetchone()[0] in (30000, "30s")  # the usual wait, for others
    with dms.catalog.transaction(wait=wait):  # the lock free: granted, and the usual timeout back afterwards
        dms.catalog.links_stale([])


def test_dms_trace_while_another_process_writes_answers_soon_and_says_the_links_may_be_behind(home, dms, archive):
    from conftest import run_dms

    doc = dms.catalog.document_at_path(str(archive / "minutes.txt"))
    with dms.catalog.transaction():
        dms.catalog.links_stale([doc.id])
    with another_writer(dms):
        started = time.monotonic()
        proc = run_dms(home, "trace", "CR-2023-014", "--depth", "1", "--json")
        took = time.monotonic() - started
        linked = run_dms(home, "search", "linked:CR-2023-014", "--json")  # graph_for called by the library
    assert took < 25  # not the 30 s busy timeout, nor exit 7 (busy)
    assert "links from its latest changes may be missing" in proc.stderr
    assert proc.stderr.count("may be missing") == 1  # said once
    assert "links from its latest changes may be missing" in linked.stderr and linked.returncode == 0
    assert doc.id in {d["id"] for d in json.loads(proc.stdout)["documents"]}
    assert "may be missing" not in run_dms(home, "trace", "CR-2023-014", "--json").stderr  # the lock free again


def test_web_pages_and_api_answers_read_while_another_process_writes_say_the_links_may_be_behind(dms, archive):
    from fastapi.testclient import TestClient

    from dms.web import create_app
    from dms.web.security import LINKS_BEHIND_HEADER

    header = LINKS_BEHIND_HEADER.decode()
    notice = "links from its latest changes may be missing here"
    doc = dms.catalog.document_at_path(str(archive / "minutes.txt"))
    with TestClient(create_app(dms.settings), follow_redirects=False) as client:
        signed_in = client.post("/sign-in", data={"name": "admin", "password": "admin-password-1", "next": "/"})
        assert signed_in.status_code == 303
        with dms.catalog.transaction():
            dms.catalog.links_stale([doc.id])
        with another_writer(dms):
            page = client.get("/trace", params={"ref": "CR-2023-014", "depth": 1})
            document = client.get(f"/documents/{doc.id}")
            api = client.get("/api/v1/trace/CR-2023-014", params={"depth": 1})
            # graph_for called by library code, not by the route: a linked: search, on the page and in the API
            linked_page = client.get("/search", params={"q": "linked:CR-2023-014"})
            linked_api = client.get("/api/v1/search", params={"q": "linked:CR-2023-014"})
            unrelated = client.get("/account")  # reads no link: no notice
        answers = (page, document, api, linked_page, linked_api)
        assert [a.status_code for a in answers] == [200] * 5 and unrelated.status_code == 200
        assert notice in page.text and notice in document.text and notice in linked_page.text
        assert [a.headers.get(header) for a in answers] == ["1"] * 5
        assert notice not in unrelated.text and header not in unrelated.headers
        assert doc.id in {d["id"] for d in api.json()["documents"]}  # answered from the rows as they were
        later = client.get("/trace", params={"ref": "CR-2023-014", "depth": 1})  # the lock free again
        assert later.status_code == 200 and notice not in later.text and header not in later.headers


def test_a_second_question_soon_after_one_found_the_writer_busy_does_not_wait_again(dms, archive):
    """A page asking for links twice (a change request: its links and its trace) waits once, not twice."""
    from dms import graph

    doc = dms.catalog.document_at_path(str(archive / "minutes.txt"))
    with dms.catalog.transaction():
        dms.catalog.links_stale([doc.id])
    with another_writer(dms):
        started = time.monotonic()
        assert graph.graph_for(dms).behind
        first = time.monotonic() - started
        started = time.monotonic()
        assert graph.graph_for(dms).behind
        second = time.monotonic() - started
    assert first >= graph.QUESTION_WAIT * 0.9 and second < first / 2, (first, second)
    assert not graph.graph_for(dms).behind  # the writer gone: the next question brings the rows up to date
