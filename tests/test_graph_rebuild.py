"""A derivation of every link from scratch (dms.graph.rebuild) commits in steps: a killed one goes on where it stopped,
writers get in between its steps, questions meanwhile answer from the rows and say they may be behind, and the rows
it leaves are those of a derivation in one go, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from conftest import REPO, write_eml
from test_graph_sync import archive, from_scratch  # noqa: F401 (a fixture)

from dms import records
from dms.catalog import linkrows
from dms.graph import graph_for, node_for, rebuild, trace
from dms.graph import sync as graph_sync
from dms.graph.compare import differences
from dms.ingest.pipeline import ingest

pytestmark = pytest.mark.both_catalogs

# a real process deriving every link again one document a step, which stops (sleeps) once two are done
STOPS_AFTER_TWO = """
import sys, time
from dms.app import Dms
from dms.config import load_settings
from dms.graph import rebuild, sync
rebuild.CHUNK, rebuild.STEP_SECONDS, rebuild.PAUSE = 1, 0, 0
def progress(done, total):
    print(f"done {done} of {total}", flush=True)
    if done >= 2:
        time.sleep(300)
with Dms(load_settings()) as dms:
    sync.sync(dms, progress, full=True)
"""


def one_document_a_step(monkeypatch) -> None:
    monkeypatch.setattr(rebuild, "CHUNK", 1)
    monkeypatch.setattr(rebuild, "STEP_SECONDS", 0)
    monkeypatch.setattr(rebuild, "PAUSE", 0)  # no writer waits here


def record(dms) -> dict | None:
    return rebuild.pending(linkrows.state(dms.catalog))


def rows_with_ids(dms) -> dict[tuple, int]:
    return {tuple(r[1:]): r[0] for r in dms.catalog.conn.execute(
        "SELECT id, scope, source, target, type FROM graph_links").fetchall()}


def test_a_derivation_in_steps_leaves_the_rows_of_one_in_a_single_transaction(dms, archive, monkeypatch):  # noqa: F811
    one_document_a_step(monkeypatch)
    told = []
    done = graph_sync.sync(dms, lambda n, total: told.append((n, total)), full=True)
    assert done.full and done.documents == 4 and done.links > 10
    assert told == [(1, 4), (2, 4), (3, 4), (4, 4)]  # a step a document, each reported
    assert linkrows.all_links(dms.catalog) == from_scratch(dms)
    assert graph_sync.current(dms) and record(dms) is None
    assert differences(dms.catalog, dms.matcher)["missing"] == 0


def test_a_killed_derivation_goes_on_where_it_stopped_and_ends_as_one_in_one_go(dms, home, archive):  # noqa: F811
    old = rows_with_ids(dms)
    proc = subprocess.Popen([sys.executable, "-c", STOPS_AFTER_TWO], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "DMS_HOME": str(home)})
    try:
        lines = [proc.stdout.readline().strip() for _ in range(2)]
        assert lines == ["done 1 of 4", "done 2 of 4"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    with dms.catalog.transaction():  # PostgreSQL frees a killed client's lock when it notices
        pass
    left = record(dms)
    assert left is not None and left["stage"] == "documents" and left["done"] == 2  # two steps committed
    assert not graph_sync.current(dms)
    mid = rows_with_ids(dms)
    first_two = {f"doc:{i}" for i in linkrows.live_document_ids(dms.catalog)[:2]}
    # the first two documents' rows written anew, every other row as it was (no empty graph in between)
    assert all(row_id > max(old.values()) for key, row_id in mid.items() if key[0] in first_two)
    assert {k: v for k, v in mid.items() if k[0] not in first_two} == {k: v for k, v in old.items()
                                                                       if k[0] not in first_two}
    assert graph_sync.sync(dms) is None and rows_with_ids(dms) == mid  # its last step is recent: left to it
    done = graph_sync.sync(dms, full=True)  # the command run again goes on: the first two are not written again
    assert done.full and done.documents == 4  # the derivation's own count
    now = rows_with_ids(dms)
    assert all(now[key] == row_id for key, row_id in mid.items() if key[0] in first_two)
    assert linkrows.all_links(dms.catalog) == from_scratch(dms)
    assert graph_sync.current(dms) and record(dms) is None


def test_a_question_leaves_a_derivation_under_way_to_its_process_and_takes_up_an_abandoned_one(dms, archive,  # noqa: F811
                                                                                             monkeypatch):
    one_document_a_step(monkeypatch)
    stopped = []

    def stop_after_one(done, total):
        if done == 1:
            stopped.append(done)
            raise KeyboardInterrupt  # the process is stopped after its first committed step

    with pytest.raises(KeyboardInterrupt):
        graph_sync.sync(dms, stop_after_one, full=True)
    assert stopped == [1] and record(dms)["done"] == 1
    g = graph_for(dms)  # the record was written a moment ago: another process may be on it
    assert g.behind and record(dms)["done"] == 1
    assert trace(g, node_for(dms, g, "CR-2023-014"), depth=1).total == 3  # the rows as they are: old or new
    monkeypatch.setattr(rebuild, "ALIVE", 0.0)  # no step for longer than ALIVE: abandoned, the question goes on
    g = graph_for(dms)
    assert not g.behind and record(dms) is None and graph_sync.current(dms)
    assert trace(g, node_for(dms, g, "CR-2023-014"), depth=1).total == 3
    assert linkrows.all_links(dms.catalog) == from_scratch(dms)


def test_a_document_retired_between_the_steps_loses_its_links_when_the_derivation_ends(dms, archive,  # noqa: F811
                                                                                       monkeypatch):
    """A write between two steps (the lock is free then) to a document already derived: the sync that follows the
    derivation, from the watermarks the derivation started at, takes its links out."""
    one_document_a_step(monkeypatch)
    first = linkrows.live_document_ids(dms.catalog)[0]

    def retire_the_first(done, total):
        if done == 1:
            assert any(r[0] == f"doc:{first}" for r in linkrows.all_links(dms.catalog))  # derived already
            records.retire(dms, str(first), "admin", "withdrawn")

    assert graph_sync.sync(dms, retire_the_first, full=True).full
    rows = linkrows.all_links(dms.catalog)
    assert not any(f"doc:{first}" in (r[0], r[1], r[2]) for r in rows)
    assert rows == from_scratch(dms) and graph_sync.current(dms) and record(dms) is None


def test_an_ingest_between_the_steps_is_linked_when_the_derivation_ends(dms, archive, monkeypatch):  # noqa: F811
    one_document_a_step(monkeypatch)
    parent = archive / "parent.eml"
    steps_in_the_ingest = []

    def ingest_once(done, total):
        if done == 1 and not parent.exists():
            write_eml(parent, "KX200 housing", "See CR-2023-014.", message_id="<p1@nordlicht.example>")
            ingest(dms, [archive])  # its own sync leaves the derivation to the process taking its steps
            steps_in_the_ingest.append(record(dms)["done"])

    assert graph_sync.sync(dms, ingest_once, full=True).full
    assert steps_in_the_ingest == [1]  # the ingest took no step of it
    rows = linkrows.all_links(dms.catalog)  # the new mail and its reply's link: the catch-up after the derivation
    assert rows == from_scratch(dms) and any(r[3] == "reply_to" for r in rows)
    assert graph_sync.current(dms) and record(dms) is None


def test_the_rows_of_scopes_nothing_makes_any_more_are_swept_at_the_end(dms, archive, monkeypatch):  # noqa: F811
    """Rows stay until their scope's turn; those of a purged document, of a number no live document carries and of
    a scope of no known kind are gone when the derivation ends (and not before: never an empty graph)."""
    from dms.graph.derive import LinkRow

    one_document_a_step(monkeypatch)
    minutes = dms.catalog.document_at_path(str(archive / "minutes.txt"))
    records.purge(dms, str(minutes.id), "admin", "kept too long")
    stray = [LinkRow("number:GONE-1", "doc:1", "id:GONE-1", "supersedes", "a chain of a number nobody carries"),
             LinkRow(f"doc:{minutes.id}", f"doc:{minutes.id}", "id:CR-2023-014", "mentions", "a purged one's"),
             LinkRow("elsewhere:1", "doc:1", "id:X-1", "mentions", "a scope of no known kind")]
    with dms.catalog.transaction():
        for row in stray:
            linkrows.replace_links(dms.catalog, [row.scope], [row])
    seen_during = []

    def look(done, total):
        seen_during.append({r[0] for r in linkrows.all_links(dms.catalog)} >= {r.scope for r in stray})

    assert graph_sync.sync(dms, look, full=True).full
    assert seen_during and all(seen_during)  # still there while the documents were derived
    assert not {r.scope for r in stray} & {r[0] for r in linkrows.all_links(dms.catalog)}
    assert linkrows.all_links(dms.catalog) == from_scratch(dms)


def stopped_after_one_document(dms, monkeypatch) -> None:
    """A derivation from scratch stopped by its process after its first committed document (its record recent)."""
    one_document_a_step(monkeypatch)

    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        graph_sync.sync(dms, stop, full=True)
    assert record(dms)["done"] == 1


def test_headers_written_by_another_dms_during_a_derivation_do_not_stop_it(dms, archive):  # noqa: F811
    """A dms of the release before writes graph_messages rows while a derivation's record waits (it knows no
    records): the derivation replaces them, document by document, instead of failing on a duplicate."""
    reply = dms.catalog.document_at_path(str(archive / "reply.eml"))
    with dms.catalog.transaction():
        rebuild.start(dms.catalog, graph_sync._stamps(dms.rules), *linkrows.marks(dms.catalog)[:2])
        linkrows.replace_messages(dms.catalog, [], [(reply.id, "<r1@helix.example>", "<p1@nordlicht.example>")])
    assert graph_sync.sync(dms, full=True).full
    assert linkrows.all_links(dms.catalog) == from_scratch(dms)
    assert (reply.id, "<r1@helix.example>", "<p1@nordlicht.example>") in linkrows.all_messages(dms.catalog)


def test_a_step_dated_in_the_future_is_no_sign_of_life():
    import time

    now = time.time()
    assert rebuild.alive({"at": now - 1}) and not rebuild.alive({"at": now - rebuild.ALIVE - 1})
    assert not rebuild.alive({"at": now + 10 * rebuild.ALIVE})  # a clock set back: taken up, not waited on
