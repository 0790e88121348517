"""The small interface every search engine implements. Nothing outside dms.index sees an engine."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dms.index.limits import Limits
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
    # False: the commit may leave the new segment unmerged (an ingest's intermediate commits; its last one merges).
    # An engine that merges by itself ignores it.
    merge: bool

    def add(self, record: IndexRecord, replace: bool = True) -> None:
        """Index a document; `replace=False` only for one that cannot be in the index yet (faster)."""

    def delete(self, doc_id: int) -> None: ...


class SearchBackend(Protocol):
    name: str
    limits: Limits  # what one search may cost (DMS_QUERY_*): the engine bounds expansion and time by it

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


# -- what every engine's index directory shares: a marker naming engine and schema, a fresh build
#    swapped in whole --------------------------------------------------------------------------

MARKER = "dms-index.json"


def marker_problem(index_dir: Path, engine: str, schema: int) -> str | None:
    """Why the index directory does not hold this engine's index of this schema, or None."""
    try:
        info = json.loads((index_dir / MARKER).read_text())
    except (OSError, ValueError):
        return "the search index has no schema marker"
    if info.get("schema") != schema or info.get("engine") != engine:
        return (f"the search index was built by {info.get('engine')} with schema {info.get('schema')}, "
                f"this dms uses {engine} schema {schema}")
    return None


def fresh_dir(index_dir: Path) -> Path:
    """An empty directory beside the index, to build a new one in."""
    fresh = index_dir.with_name(index_dir.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    return fresh


def swap_in(fresh: Path, index_dir: Path, engine: str, schema: int) -> None:
    """Mark a finished build and put it in the index's place (the old one goes only after)."""
    (fresh / MARKER).write_text(json.dumps({"engine": engine, "schema": schema}))
    old = index_dir.with_name(index_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if index_dir.exists():
        index_dir.rename(old)
    fresh.rename(index_dir)
    shutil.rmtree(old, ignore_errors=True)
