"""The small interface every search engine implements. Nothing outside dms.index sees an engine."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from dms.model import IndexRecord


@dataclass(frozen=True, slots=True)
class EngineHit:
    doc_id: int
    version_id: int
    score: float
    title: str
    path: str
    doc_type: str
    date: str | None


@dataclass(frozen=True, slots=True)
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    expanded: frozenset[str] = frozenset()  # index terms that prefix/fuzzy parts of the query matched
    # word of the query -> (a close term in the index, a version whose text holds it)
    suggestions: dict[str, tuple[str, int]] = field(default_factory=dict)


class IndexWriter(Protocol):
    def add(self, record: IndexRecord, replace: bool = True) -> None:
        """Index a document; `replace=False` only for one that cannot be in the index yet (faster)."""

    def delete(self, doc_id: int) -> None: ...


class SearchBackend(Protocol):
    name: str

    def needs_rebuild(self) -> str | None:
        """Why the index must be rebuilt from the catalog (missing, other schema), or None."""

    def writer(self) -> AbstractContextManager[IndexWriter]:
        """Commits on a clean exit; cancels (never commits) when the block raises."""

    def rebuild(self, records: Iterable[IndexRecord]) -> int:
        """Build a fresh index from these records and swap it in atomically; returns the count."""

    def search(self, tree, *, limit: int, offset: int, sort: str, facets: bool = True) -> EngineResult: ...

    def indexed(self) -> dict[int, int]:
        """doc_id -> version_id of everything in the index."""

    def size_bytes(self) -> int: ...

    def close(self) -> None:
        """Release open readers (the backend may keep searchers open between searches)."""
