"""The SQL of the audit log and its head (dms.audit holds the rules: chaining, signing, verifying)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

COLUMNS = ("id", "at", "user", "action", "subject", "also", "details", "prev_hash", "hash", "sig")
HEAD_COLUMNS = ("last_id", "hash", "count", "at", "sig", "key")


def head(conn: sqlite3.Connection) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(HEAD_COLUMNS)} FROM audit_head WHERE one = 1").fetchone()
    return dict(zip(HEAD_COLUMNS, row)) if row else None


def last_entry(conn: sqlite3.Connection) -> tuple[int, str, str | None] | None:
    """(id, hash, signature) of the entry with the highest id, whatever the head says."""
    return conn.execute("SELECT id, hash, sig FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()


def insert(conn: sqlite3.Connection, entry: dict) -> None:
    conn.execute(f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                 tuple(entry[c] for c in COLUMNS))


def set_head(conn: sqlite3.Connection, values: dict) -> None:
    conn.execute(f"INSERT INTO audit_head (one, {', '.join(HEAD_COLUMNS)}) VALUES (1, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (one) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in HEAD_COLUMNS),
                 tuple(values.get(c) for c in HEAD_COLUMNS))


def rows(conn: sqlite3.Connection, subject: str | None = None) -> Iterator[dict]:
    """Entries oldest first, streamed; with `subject`, only those about it (as subject or among `also`)."""
    where, params = "", ()
    if subject is not None:
        where, params = "WHERE subject = ? OR (' ' || also || ' ') LIKE ?", (subject, f"% {subject} %")
    for row in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log {where} ORDER BY id", params):
        yield dict(zip(COLUMNS, row))
