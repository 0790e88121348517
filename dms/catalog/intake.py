"""Problems of paths that never became a version: unreadable files and folders, symbolic links not followed,
FIFOs, sockets and devices. They stay listed until a run finds the path fine (stored or unchanged) or gone.

Paths are in the catalog's text form (`dms.display.to_text`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime

KEYS = ("id", "path", "sha256", "kind", "severity", "reason", "at")


def note(conn: sqlite3.Connection, path: str, kind: str, severity: str, reason: str) -> bool:
    """Record (or refresh) the problem of a path; True when it is new or its reason changed."""
    row = conn.execute("SELECT kind, reason FROM intake_problems WHERE path = ?", (path,)).fetchone()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if row is None:
        conn.execute("INSERT INTO intake_problems (path, kind, severity, reason, first_seen, last_seen) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (path, kind, severity, reason, now, now))
    else:
        conn.execute("UPDATE intake_problems SET kind = ?, severity = ?, reason = ?, last_seen = ? WHERE path = ?",
                     (kind, severity, reason, now, path))
    return row is None or tuple(row) != (kind, reason)


def note_many(conn: sqlite3.Connection, problems: Iterable[tuple[str, str, str, str]]) -> list[bool]:
    """`note` for each (path, kind, severity, reason), in one transaction (or in the one already open)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        changed = [note(conn, *p) for p in problems]
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
    return changed


def clear(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    """These paths were found fine: their problems are over."""
    paths = list(paths)
    if paths:
        conn.executemany("DELETE FROM intake_problems WHERE path = ?", [(p,) for p in paths])


def forget_under(conn: sqlite3.Connection, roots: Iterable[str], met: set[str]) -> None:
    """After a full walk of `roots`: problems of paths under them that the walk did not meet again are over."""
    stale = []
    for root in roots:
        prefix = root.rstrip("/") + "/"
        stale += [path for (path,) in conn.execute(
            "SELECT path FROM intake_problems WHERE path = ? OR substr(path, 1, ?) = ?", (root, len(prefix), prefix))
            if path not in met]
    clear(conn, stale)


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM intake_problems").fetchone()[0]


def listing(conn: sqlite3.Connection) -> list[dict]:
    """Every lasting intake problem, oldest first, shaped like the catalog's version problems (no document)."""
    rows = conn.execute("SELECT NULL, path, NULL, kind, severity, reason, last_seen FROM intake_problems "
                        "ORDER BY first_seen, path")
    return [dict(zip(KEYS, r)) for r in rows]
