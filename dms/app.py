"""One open archive: settings, catalog, store, search backend and rules, opened once."""

from __future__ import annotations

from typing import Callable

from dms.catalog import Catalog, open_catalog
from dms.config import Settings
from dms.identifiers import IdentifierMatcher
from dms.index import SearchBackend, open_backend
from dms.ingest.rules import Rules, load_rules
from dms.store import Store


class Dms:
    def __init__(self, settings: Settings):
        self.settings = settings
        settings.home.mkdir(parents=True, exist_ok=True)
        self.rules: Rules = load_rules(settings.rules_path)
        self.matcher = IdentifierMatcher(self.rules)
        self.catalog: Catalog = open_catalog(settings.catalog_path)
        self.store = Store(settings.store_dir)
        self.backend: SearchBackend = open_backend(settings)

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> "Dms":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ensure_index(self) -> str | None:
        """Rebuild the index from the catalog if it is missing or of another schema; returns why."""
        reason = self.backend.needs_rebuild()
        if reason:
            self.reindex()
        return reason

    def reindex(self, on_progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the search index from the catalog alone; memory stays bounded (records stream)."""
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
        stale, gone = self.catalog.index_work()
        if not stale and not gone:
            return 0
        done: list[tuple[int, int | None]] = []
        with self.backend.writer() as writer:
            for rec in self.catalog.index_records(stale):
                writer.add(rec)
                done.append((rec.doc_id, rec.version_id))
            for doc_id in gone:
                writer.delete(doc_id)
                done.append((doc_id, None))
        self.catalog.mark_indexed(done)
        return len(done)
