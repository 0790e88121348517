"""Who takes the steps of a derivation of every link from scratch (dms.graph.rebuild): the process taking them,
`dms graph sync`, a question on the command line and `dms serve`'s link keeper take them to the end; a writer
(an ingest) and a web request take at most one; `dms verify` and `dms graph sync` say when another process is
on it. The logic is the catalog's own rows, the same on both catalogs: these run on SQLite (test_graph_rebuild
runs the derivation itself on both)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO, write_eml
from test_graph_rebuild import from_scratch, one_document_a_step, record, stopped_after_one_document
from test_graph_sync import archive  # noqa: F401 (a fixture)

from dms.catalog import linkrows
from dms.graph import graph_for, rebuild
from dms.graph import sync as graph_sync
from dms.ingest.pipeline import ingest


def test_a_record_that_cannot_be_read_starts_the_derivation_anew(dms, archive):  # noqa: F811
    for damage in ("not json", json.dumps({"stage": "documents"}), json.dumps([1, 2])):
        with dms.catalog.transaction():
            linkrows.set_state(dms.catalog, {rebuild.KEY: damage, "format": "another derivation"})
        done = graph_sync.sync(dms)
        assert done.full and done.documents == 4, damage
        assert linkrows.all_links(dms.catalog) == from_scratch(dms) and record(dms) is None


def test_a_server_derives_the_links_it_needs_by_itself_not_in_a_request(dms, home, archive):  # noqa: F811
    """`dms serve` on an archive whose link rows need a derivation from scratch (the first start after an upgrade,
    other rules): its link keeper derives them without any question being asked (a request would otherwise run
    the whole derivation itself)."""
    import time

    from browsing import Server

    with dms.catalog.transaction():
        linkrows.set_state(dms.catalog, {"format": "an older derivation"})
    assert not graph_sync.current(dms)
    server = Server(home)  # asked nothing but /health
    try:
        deadline = time.monotonic() + 60
        while not graph_sync.current(dms):
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.2)
    finally:
        server.stop()
    assert record(dms) is None and linkrows.all_links(dms.catalog) == from_scratch(dms)
    assert "Traceback" not in server.log_text()


def test_an_ingest_during_another_process_s_derivation_leaves_it_to_that_process(dms, archive, monkeypatch):  # noqa: F811
    """A writer holding its own lock (an ingest) does not take the steps of a derivation another process is
    taking: it ends at once, and the derivation's catch-up derives what it brought."""
    stopped_after_one_document(dms, monkeypatch)
    write_eml(archive / "parent.eml", "KX200 housing", "See CR-2023-014.", message_id="<p1@nordlicht.example>")
    ingest(dms, [archive])
    assert record(dms)["done"] == 1  # not a step more
    monkeypatch.setattr(rebuild, "ALIVE", 0.0)  # its process gone: the next sync that is not brief goes on
    assert graph_sync.sync(dms).full
    rows = linkrows.all_links(dms.catalog)
    assert rows == from_scratch(dms) and any(r[3] == "reply_to" for r in rows)


def test_a_writer_s_sync_takes_one_step_of_a_derivation_the_rows_need_and_a_question_the_rest(dms, archive,  # noqa: F811
                                                                                          monkeypatch):
    one_document_a_step(monkeypatch)
    with dms.catalog.transaction():
        linkrows.set_state(dms.catalog, {"format": "an older derivation"})
    (archive / "note.txt").write_text("Note on CR-2023-014.\n")
    ingest(dms, [archive])  # its sync: one step (one document's headers), the rest left
    assert record(dms) is not None and record(dms)["stage"] == "headers"
    monkeypatch.setattr(rebuild, "ALIVE", 0.0)
    g = graph_for(dms)  # a question on the command line takes the rest to its end
    assert not g.behind and record(dms) is None and graph_sync.current(dms)
    assert linkrows.all_links(dms.catalog) == from_scratch(dms)


def test_a_web_request_s_question_takes_one_step_and_answers_behind(dms, archive, monkeypatch):  # noqa: F811
    from dms.graph import BEHIND_NOTE

    one_document_a_step(monkeypatch)
    monkeypatch.setattr(rebuild, "ALIVE", 0.0)  # every record abandoned: only `brief` holds the request back
    with dms.catalog.transaction():
        linkrows.set_state(dms.catalog, {"format": "an older derivation"})
    note = {"brief": True}  # as the web's response guard sets it for a request
    token = BEHIND_NOTE.set(note)
    try:
        steps = []
        for _ in range(3):
            g = graph_for(dms)
            assert g.behind and note.get("behind")
            steps.append((record(dms)["stage"], record(dms)["after"]))
    finally:
        BEHIND_NOTE.reset(token)
    assert len(set(steps)) == 3  # one step a request, each further than the last
    assert graph_sync.sync(dms).full and linkrows.all_links(dms.catalog) == from_scratch(dms)


def test_dms_graph_sync_says_when_another_process_is_deriving_and_full_takes_the_rest(dms, home, archive,  # noqa: F811
                                                                                     monkeypatch):
    stopped_after_one_document(dms, monkeypatch)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "dms", "graph", "sync", *args], cwd=REPO, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "DMS_HOME": str(home)})

    busy = run()
    assert busy.returncode != 0 and "another process is deriving every link again (1 of 4" in busy.stderr
    assert "--full" in busy.stderr and record(dms)["done"] == 1
    done = run("--full", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["full"] and record(dms) is None
    assert linkrows.all_links(dms.catalog) == from_scratch(dms)


def test_verify_does_not_compare_the_rows_of_a_derivation_under_way(dms, archive, monkeypatch):  # noqa: F811
    from dms.verify import verify

    stopped_after_one_document(dms, monkeypatch)
    report = verify(dms)
    assert not any(p["kind"] == "links" for p in report.problems)
    assert any("another process is deriving every link again (1 of 4" in n for n in report.notes)
