"""A damaged index file is a clear IndexUnavailable, never an engine's traceback.

An engine meets a damaged segment, table of contents or store wherever it first reads it: when the index
is opened, or deep inside a search (Whoosh raises zlib, struct or format errors; Tantivy ValueError or a
Rust panic). `reading()` turns whatever the engine raises there into IndexUnavailable naming the remedy,
and `Guarded` wraps an engine so that every read through dms (searches, `indexed()`) goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from dms.errors import DmsError, IndexUnavailable
from dms.index.backend import EngineResult, IndexWriter, SearchBackend
from dms.model import IndexRecord

# Not the index's fault: dms's own errors (a bad query, a time limit), interruptions, exhaustion.
_NOT_DAMAGE = (DmsError, KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError, RecursionError)


def unreadable(index_dir: Path, exc: BaseException) -> IndexUnavailable:
    return IndexUnavailable(f"the search index at {index_dir} cannot be read, it is probably damaged "
                            f"({type(exc).__name__}: {exc}); rebuild it from the catalog with `dms reindex`")


@contextmanager
def reading(index_dir: Path) -> Iterator[None]:
    """Engine errors inside the block become IndexUnavailable (Tantivy's panics derive from BaseException)."""
    try:
        yield
    except _NOT_DAMAGE:
        raise
    except BaseException as exc:
        raise unreadable(index_dir, exc) from exc


class Guarded:
    """An engine whose reads report a damaged index as IndexUnavailable; everything else passes through."""

    def __init__(self, engine: SearchBackend, index_dir: Path):
        self.engine = engine
        self.dir = index_dir
        self.name = engine.name

    def needs_rebuild(self) -> str | None:
        with reading(self.dir):
            return self.engine.needs_rebuild()

    def writer(self) -> AbstractContextManager[IndexWriter]:
        return self.engine.writer()

    def rebuild(self, records: Iterable[IndexRecord]) -> int:
        return self.engine.rebuild(records)

    def search(self, tree, *, limit: int, offset: int, sort: str, facets: bool = True) -> EngineResult:
        with reading(self.dir):
            return self.engine.search(tree, limit=limit, offset=offset, sort=sort, facets=facets)

    def indexed(self) -> dict[int, int]:
        with reading(self.dir):
            return self.engine.indexed()

    def size_bytes(self) -> int:
        return self.engine.size_bytes()

    def close(self) -> None:
        self.engine.close()

    def __getattr__(self, name: str):
        """Whatever else an engine offers (its own tuning, helpers for tests) is the engine's own."""
        return getattr(self.engine, name)
