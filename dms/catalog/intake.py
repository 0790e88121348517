"""Problems of paths that never became a version: unreadable files and folders, symbolic links not followed,
FIFOs, sockets and devices. They stay listed until a run finds the path fine (stored or unchanged) or gone.

Paths are in the catalog's text form (`dms.display.to_text`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dms.catalog.db import Catalog

KEYS = ("id", "path", "sha256", "kind", "severity", "reason", "at")


def note(catalog: Catalog, path: str, kind: str, severity: str, reason: str) -> bool:
    """Record (or refresh) the problem of a path; True when it is new or its reason changed. Runs in the caller's
    transaction if one is open (`note_many` opens one for several)."""
    conn = catalog.conn
    row = conn.execute("SELECT kind, reason FROM intake_problems WHERE path = ?", (path,)).fetchone()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if row is None:
        conn.execute("INSERT INTO intake_problems (path, kind, severity, reason, first_seen, last_seen) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (path, kind, severity, reason, now, now))
    else:
        conn.execute("UPDATE intake_problems SET kind = ?, severity = ?, reason = ?, last_seen = ? WHERE path = ?",
                     (kind, severity, reason, now, path))
    return row is None or tuple(row) != (kind, reason)


def note_many(catalog: Catalog, problems: Iterable[tuple[str, str, str, str]]) -> list[bool]:
    """`note` for each (path, kind, severity, reason), in one transaction (or in the one already open)."""
    with catalog.transaction():
        return [note(catalog, *p) for p in problems]


def clear(catalog: Catalog, paths: Iterable[str]) -> None:
    """These paths were found fine: their problems are over."""
    paths = list(paths)
    if paths:
        with catalog.transaction():  # under the write lock on PostgreSQL too (an autocommit write takes none there)
            catalog.conn.executemany("DELETE FROM intake_problems WHERE path = ?", [(p,) for p in paths])


def forget_under(catalog: Catalog, roots: Iterable[str], met: set[str]) -> None:
    """After a full walk of `roots`: problems of paths under them that the walk did not meet again are over."""
    stale = []
    for root in roots:
        prefix = root.rstrip("/") + "/"
        stale += [path for (path,) in catalog.conn.execute(
            "SELECT path FROM intake_problems WHERE path = ? OR substr(path, 1, ?) = ?", (root, len(prefix), prefix))
            if path not in met]
    clear(catalog, stale)


def count(catalog: Catalog) -> int:
    return catalog.conn.execute("SELECT COUNT(*) FROM intake_problems").fetchone()[0]


def listing(catalog: Catalog) -> list[dict]:
    """Every lasting intake problem, oldest first, shaped like the catalog's version problems (no document)."""
    rows = catalog.conn.execute("SELECT NULL, path, NULL, kind, severity, reason, last_seen FROM intake_problems "
                                "ORDER BY first_seen, path")
    return [dict(zip(KEYS, r)) for r in rows]
