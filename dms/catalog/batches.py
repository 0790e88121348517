"""A write transaction held open across many calls: an ingest writes about 200 files to one transaction.

`Catalog.transaction()` is a `with` block; a batch that opens on the first write of a file and commits when
enough files are in (or before the index is written) spans many calls, so `Batch` holds that block open
between `open()` and `commit()` / `abort()`. The transaction is still the catalog's (BEGIN IMMEDIATE,
ROLLBACK on failure); only its extent is the caller's.
"""

from __future__ import annotations

from contextlib import ExitStack

from dms.catalog.db import Catalog


class Batch:
    """One catalog write transaction at a time, opened and committed by the caller (see the module)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._stack: ExitStack | None = None

    @property
    def is_open(self) -> bool:
        return self._stack is not None

    def open(self) -> None:
        """Begin the batch's transaction unless it is open. Refuses (RuntimeError) to run inside a transaction
        someone else opened: joining it, the batch's commit would not commit, and what the search index is
        told after it (dms.app.IndexBatch) could be rolled back by the caller."""
        if self._stack is not None:
            return
        if self.catalog.conn.in_transaction:
            raise RuntimeError("a write batch cannot run inside another catalog transaction: the index would be "
                               "told of writes the caller may still roll back")
        stack = ExitStack()
        stack.enter_context(self.catalog.transaction())
        self._stack = stack

    def commit(self) -> None:
        """Commit the open transaction (nothing when none is open)."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    def abort(self, exc_info) -> None:
        """Roll the open transaction back after a failure (`exc_info` = sys.exc_info()); the failure is the
        caller's to raise (`transaction()` rolls back only a transaction SQLite has not ended already)."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.__exit__(*exc_info)


class KnownBytes:
    """Which bytes some version holds, as the first 64 bits of their SHA-256 (about 50 bytes a version in memory,
    not the 64-character hash): bytes not among them have no version, no extraction to reuse and no document
    holding them, so an ingest asks the catalog about the others only. A shared prefix only costs a question."""

    def __init__(self, catalog: Catalog):
        self._held = {int(sha[:16], 16) for (sha,) in catalog.conn.execute("SELECT DISTINCT sha256 FROM versions")}

    def __contains__(self, sha256: str) -> bool:
        return int(sha256[:16], 16) in self._held

    def add(self, sha256: str) -> None:
        self._held.add(int(sha256[:16], 16))
