"""The graph kept between runs: rebuilt only when the catalog or the identifier rules changed.

The stamp counts what the graph is made of: versions (every ingest change adds one), documents,
duplicates, hand-made links and their removals, and the identifier patterns.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile

import networkx as nx

from dms.app import Dms
from dms.graph.build import build_graph

CACHE_FORMAT = 2
_memory: dict[str, tuple[tuple, nx.MultiDiGraph]] = {}  # per data directory: the last graph this process used


def stamp(dms: Dms) -> tuple:
    row = dms.catalog.conn.execute(
        "SELECT (SELECT MAX(id) FROM versions), (SELECT COUNT(*) FROM documents), "
        "(SELECT COUNT(*) FROM documents WHERE duplicate_of IS NOT NULL), (SELECT MAX(id) FROM manual_links), "
        "(SELECT COUNT(*) FROM manual_links WHERE removed_at IS NOT NULL), "
        "(SELECT COUNT(*) FROM documents WHERE retired_at IS NOT NULL OR purged_at IS NOT NULL), "
        "(SELECT COUNT(*) FROM audit_log WHERE action IN ('metadata edited', 'ocr'))"
    ).fetchone()
    rules = hashlib.sha256(repr(dms.rules.identifiers).encode()).hexdigest()[:16]
    return (CACHE_FORMAT, *row, rules)


def _path(dms: Dms):
    return dms.settings.home / "graph.pickle"


def load_or_build(dms: Dms) -> nx.MultiDiGraph:
    """The graph for the catalog as it is now: kept in memory while it stays current (a long-running
    server asks many times), else read from graph.pickle, else built. Callers must not modify it."""
    current = stamp(dms)
    held = _memory.get(str(dms.settings.home))
    if held and held[0] == current:
        return held[1]
    graph = _load(dms, current)
    if graph is None:
        return refresh(dms, current)
    _memory[str(dms.settings.home)] = (current, graph)
    return graph


def forget(dms: Dms) -> None:
    """Drop this process's in-memory copy; the next call reads graph.pickle as a new process would."""
    _memory.pop(str(dms.settings.home), None)


def _load(dms: Dms, current: tuple) -> nx.MultiDiGraph | None:
    path = _path(dms)
    try:
        with open(path, "rb") as fh:
            saved, graph = pickle.load(fh)
        if saved == current:
            return graph
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError):
        pass  # missing or unreadable: the caller rebuilds it
    return None


def refresh(dms: Dms, current: tuple | None = None) -> nx.MultiDiGraph:
    """Build the graph from the catalog and keep it for the next run (written atomically)."""
    current = current or stamp(dms)
    graph = build_graph(dms.catalog, dms.matcher)
    fd, tmp = tempfile.mkstemp(dir=dms.settings.home, prefix=".graph-")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((current, graph), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _path(dms))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _memory[str(dms.settings.home)] = (current, graph)
    return graph
