"""An ingest's catalog batch is one `catalog.transaction()` (dms.catalog.batches.Batch): a failure inside it
rolls the whole batch back and leaves the catalog writable in the same process, and a batch never joins a
transaction someone else holds open (its commit would not be one, yet the index would be told)."""

from __future__ import annotations

import sys

import pytest

from dms import audit
from dms.catalog.batches import Batch
from dms.catalog.db import open_catalog
from dms.errors import IntegrityError
from dms.ingest.pipeline import ingest

pytestmark = pytest.mark.both_catalogs  # every test runs on SQLite and on PostgreSQL


def _letters(inbox, *names):
    for name in names:
        (inbox / name).write_text(f"{name}: about the walnut gasket.\nDate: 2023-03-10\n")


def _raw(settings, statement: str) -> None:
    """An insider's edit of the catalog, from another connection (as a tool outside dms would)."""
    other = open_catalog(settings.catalog_location)
    try:
        with other.transaction():
            other.conn.execute(statement)
    finally:
        other.close()


def test_a_batch_refused_by_the_audit_log_leaves_nothing_behind_and_the_catalog_writable(dms, settings, inbox):
    _letters(inbox, "a.txt")
    ingest(dms, [inbox], inline=True)
    _letters(inbox, "b.txt", "c.txt")
    _raw(settings, "UPDATE audit_head SET last_id = last_id + 5")  # every further entry is refused
    with pytest.raises(IntegrityError, match="nothing more can be recorded"):
        ingest(dms, [inbox], inline=True)
    assert dms.catalog.document_count() == 1  # the documents made for b and c went with the batch
    assert set(dms.catalog.known_files()) == {str(inbox / "a.txt")}

    _raw(settings, "UPDATE audit_head SET last_id = last_id - 5")
    report = ingest(dms, [inbox], inline=True)  # same process, same connection: no transaction left open
    assert (report.added, report.unchanged) == (2, 1)
    assert dms.catalog.document_count() == 3
    assert audit.verify(dms.catalog)["ok"]
    b_id = dms.catalog.document_at_path(str(inbox / "b.txt")).id  # PostgreSQL does not give rolled-back ids again
    assert [e["action"] for e in audit.history(dms.catalog, f"doc:{b_id}")] == ["ingest"]


def test_an_ingest_inside_another_transaction_is_refused_before_it_writes(dms, inbox):
    _letters(inbox, "a.txt")
    with pytest.raises(RuntimeError, match="inside another catalog transaction"):
        with dms.catalog.transaction():
            ingest(dms, [inbox], inline=True)
    assert dms.catalog.document_count() == 0
    assert ingest(dms, [inbox], inline=True).added == 1


def test_a_batch_commits_what_it_holds_and_rolls_back_on_abort(dms, inbox):
    batch = Batch(dms.catalog)
    batch.open()
    batch.open()  # already open: the same transaction
    dms.catalog.ensure_document("kept.txt", "kept.txt")
    batch.commit()
    assert not batch.is_open
    batch.open()
    dms.catalog.ensure_document("dropped.txt", "dropped.txt")
    try:
        raise OSError("the disk went away")
    except OSError:
        batch.abort(sys.exc_info())
    assert not batch.is_open
    assert dms.catalog.document_count() == 1
    with dms.catalog.transaction():  # nothing left open
        dms.catalog.ensure_document("later.txt", "later.txt")
    assert dms.catalog.document_count() == 2
