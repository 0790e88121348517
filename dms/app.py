"""One open archive: settings, catalog, store, search backend and rules, opened once, and the index kept in step.

`Dms` is the bottom of the house: it imports only what it opens (dms.catalog, dms.store, dms.rules, dms.audit;
dms.index when the index is first used) and nothing above it imports back into it at module level
(tests/test_architecture.py). What users do with an open archive lives in doors of their own that take it as their
first argument: searching in dms.search, as-of in dms.asof, finding a document in dms.documents, the graph in
dms.graph.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from dms import audit
from dms.catalog import Catalog, open_catalog
from dms.config import Settings
from dms.identifiers import IdentifierMatcher
from dms.locks import one_writer
from dms.model import IndexRecord
from dms.rules import Rules, load_rules
from dms.store import Store

if TYPE_CHECKING:
    from dms.index import IndexWriter, SearchBackend


class Dms:
    """An archive opened from its settings: `catalog`, `store`, `backend` (the search index), `rules` and `matcher`.
    Close it (or use it as a context manager) to release the catalog and the index."""

    def __init__(self, settings: Settings):
        self.settings = settings
        settings.home.mkdir(parents=True, exist_ok=True)
        self.rules: Rules = load_rules(settings.rules_path)
        self.matcher = IdentifierMatcher(self.rules)
        self.catalog: Catalog = open_catalog(settings.catalog_location)
        self._backend: SearchBackend | None = None
        self.links_busy_at: float | None = None  # when a question last found another writer holding the links
        try:
            audit.configure(self.catalog, settings.audit_key_file, settings.home)
            self.store = Store(settings.store_dir)
        except BaseException:
            self.catalog.close()  # a PostgreSQL connection is not left to the garbage collector
            raise

    @property
    def backend(self) -> SearchBackend:
        """The search index, opened when first used: a command that asks it nothing (`dms trace`, `dms orphans`)
        does not load the engine."""
        if self._backend is None:
            from dms.index import open_backend
            from dms.index.guard import Guarded

            self._backend = Guarded(open_backend(self.settings), self.settings.index_dir)  # damage: a clear error
        return self._backend

    def close(self) -> None:
        try:
            if self._backend is not None:
                self._backend.close()
        finally:
            self.catalog.close()

    def __enter__(self) -> Dms:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ensure_index(self) -> str | None:
        """Rebuild the index from the catalog if it is missing or of another schema; returns why."""
        reason = self.backend.needs_rebuild()
        if reason:
            with self._rebuild_lock():
                reason = self.backend.needs_rebuild()  # another process may have just built it
                if reason:
                    self._rebuild(None)
        return reason

    @contextmanager
    def _rebuild_lock(self):
        """One rebuild at a time across processes and threads (flock on a file of the data directory)."""
        with open(self.settings.home / "index.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @one_writer  # not while an ingest writes the index
    def reindex(self, on_progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the search index from the catalog alone; memory stays bounded (records stream)."""
        with self._rebuild_lock():
            return self._rebuild(on_progress)

    def _rebuild(self, on_progress: Callable[[int], None] | None) -> int:
        indexed: dict[int, int] = {}

        def records():
            for rec in self.catalog.index_records():
                indexed[rec.doc_id] = rec.version_id
                if on_progress:
                    on_progress(len(indexed))
                yield rec

        count = self.backend.rebuild(records())
        self.catalog.set_indexed_exactly(indexed)
        return count

    def sync_index(self) -> int:
        """Bring the index up to the catalog: add what is stale, drop duplicates. Returns changes."""
        return IndexBatch(self).commit()


class IndexBatch:
    """Index writes of one batch: documents added as they are recorded, committed together.

    The index may only hold what the catalog has committed: commit the catalog first, then
    `commit()` here, which also sweeps up whatever the catalog says the index lacks (versions
    copied from identical bytes, documents a killed run recorded) and drops duplicates. The
    catalog learns what the index holds only after the index commit, so a crash in between
    leaves work for the next run, never a wrong record.
    """

    def __init__(self, dms: Dms):
        self.dms = dms
        self._stack: ExitStack | None = None
        self._writer: IndexWriter | None = None
        self.added: dict[int, int] = {}  # doc_id -> version_id written in this batch

    def _open(self) -> IndexWriter:
        if self._writer is None:
            self._stack = ExitStack()
            self._writer = self._stack.enter_context(self.dms.backend.writer())
        return self._writer

    def add(self, record: IndexRecord, replace: bool = True) -> None:
        self._open().add(record, replace)
        self.added[record.doc_id] = record.version_id

    def commit(self, merge: bool = True) -> int:
        """Index what the catalog committed. merge=False: Whoosh may leave this commit's segment unmerged (an
        ingest's intermediate commits: merging at each of them cost its main process about 40 % more CPU)."""
        catalog = self.dms.catalog
        stale, gone = catalog.index_work()
        done: dict[int, int | None] = dict(self.added)
        missing = [d for d in stale if d not in self.added]
        # Added in this batch, then found to be a copy of an older document: Whoosh cannot delete a
        # document its own open writer added, so these go in a second writer after the commit.
        late = catalog.duplicate_ids() & set(self.added)
        if missing or gone:
            writer = self._open()
            for rec in catalog.index_records(missing):
                writer.add(rec)
                done[rec.doc_id] = rec.version_id
            for doc_id in gone:
                writer.delete(doc_id)
                done[doc_id] = None
        if self._writer is not None:
            self._writer.merge = merge
        self._close()
        if late:
            with self.dms.backend.writer() as writer:
                for doc_id in late:
                    writer.delete(doc_id)
                    done[doc_id] = None
        if done:
            catalog.mark_indexed(list(done.items()))
        self.added.clear()
        return len(done)

    def _close(self) -> None:
        if self._stack is not None:
            self._stack.close()  # commits the index
            self._stack = self._writer = None

    def abort(self, exc_info) -> None:
        """Cancel the open index writer (never commit it) after a failure."""
        if self._stack is not None:
            self._stack.__exit__(*exc_info)
            self._stack = self._writer = None
