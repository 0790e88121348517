"""The graph kept between runs: rebuilt only when the catalog or the rules that shape the graph changed.

The stamp counts what the graph is made of: versions (every ingest change adds one), documents,
duplicates, hand-made links and their removals, hand edits, OCR and re-derivations (which rewrite a
version in place), and the rules the graph is read with (identifier patterns, change families,
revision schemes, decision and amendment phrases), and the format: the pickle's layout and a digest of the
link-type table (`dms.graph.linktypes.DIGEST`), so changing a link type rebuilds every cached graph.

graph.pickle lies in the data directory, where anyone who can write it could plant a pickle that runs
code when loaded. It is read with `_GraphUnpickler`, which refuses every global but the graph class (the
rest of the graph is dicts, tuples, strings and numbers), and anything refused, unreadable or of the wrong
shape is rebuilt from the catalog ("Restricting Globals" in Python's pickle documentation).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from typing import TYPE_CHECKING

import networkx as nx

from dms.auditactions import (
    METADATA_EDITED,
    METADATA_REDERIVED,
    OCR,
    PARTY_CHANGE_UNDONE,
    PARTY_MERGED,
    PARTY_RENAMED,
)
from dms.catalog.graphstamp import graph_inputs, in_write_transaction
from dms.graph.build import build_graph
from dms.graph.linktypes import DIGEST
from dms.rules import Rules

if TYPE_CHECKING:
    from dms.app import Dms

CACHE_FORMAT = 4
# the format of the pickle and the link-type table it was built with: a change to either rebuilds the cache
FORMAT_STAMP = f"{CACHE_FORMAT}:{DIGEST}"
# audit actions that change what the graph is built from without a new version: corrections, OCR, rederive, parties
GRAPH_CHANGING = (METADATA_EDITED, OCR, METADATA_REDERIVED, PARTY_RENAMED, PARTY_MERGED, PARTY_CHANGE_UNDONE)
_memory: dict[str, tuple[tuple, nx.MultiDiGraph]] = {}  # per data directory: the last graph this process used


def stamp(dms: Dms) -> tuple:
    row = graph_inputs(dms.catalog, GRAPH_CHANGING)
    return (FORMAT_STAMP, *row, rules_stamp(dms.rules))


def rules_stamp(rules: Rules) -> str:
    """A digest of every rule the graph is built with: a change to any of them rebuilds it."""
    shaping = (rules.identifiers, rules.change_families, rules.revision_schemes, rules.decision_phrases,
               rules.amendment_phrases)
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def _path(dms: Dms):
    return dms.settings.home / "graph.pickle"


def load_or_build(dms: Dms) -> nx.MultiDiGraph:
    """The graph for the catalog as it is now: kept in memory while it stays current (a long-running
    server asks many times), else read from graph.pickle, else built. Callers must not modify it."""
    if in_write_transaction(dms.catalog):
        # rows not yet committed may be rolled back and their ids given again, so a graph seen inside a
        # transaction is never kept (in memory or on disk) under a stamp that could match the catalog later
        return build_graph(dms.catalog, dms.matcher)
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


class _GraphUnpickler(pickle.Unpickler):
    """Loads only what `refresh` writes: the one graph class may be named, nothing else can be called."""

    _ALLOWED = {("networkx.classes.multidigraph", "MultiDiGraph"): nx.MultiDiGraph}

    def find_class(self, module: str, name: str):
        allowed = self._ALLOWED.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(f"graph.pickle names {module}.{name}, which a graph cache never holds")
        return allowed


_PARTS = ("graph", "_node", "_adj", "_succ", "_pred")  # the dicts a MultiDiGraph is made of


def _load(dms: Dms, current: tuple) -> nx.MultiDiGraph | None:
    """The saved graph if it is current and well-formed; None (the caller rebuilds) for anything else."""
    try:  # never through a link, never blocked on a FIFO
        fd = os.open(_path(dms), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            loaded = _GraphUnpickler(fh).load()
    except Exception:  # unreadable, refused or damaged in any way: rebuilt from the catalog
        return None
    if not (type(loaded) is tuple and len(loaded) == 2 and type(loaded[0]) is tuple):
        return None
    saved, graph = loaded
    if saved != current or type(graph) is not nx.MultiDiGraph:
        return None
    if not all(type(graph.__dict__.get(part)) is dict for part in _PARTS):
        return None
    return graph


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
