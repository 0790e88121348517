"""The SQL of the audit log and its head (dms.audit holds the rules: chaining, signing, verifying).

Writes (`insert`, `set_head`) run inside the caller's transaction: dms.audit.record opens one, or joins
the transaction of what it records, through `Catalog.transaction()`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dms.catalog.db import Catalog

COLUMNS = ("id", "at", "user", "action", "subject", "also", "details", "prev_hash", "hash", "sig")
HEAD_COLUMNS = ("last_id", "hash", "count", "at", "sig", "key")
_SELECTED = ", ".join(f'"{c}"' for c in COLUMNS)  # quoted: a bare `user` is PostgreSQL's current role


def head(catalog: Catalog) -> dict | None:
    row = catalog.conn.execute(f"SELECT {', '.join(HEAD_COLUMNS)} FROM audit_head WHERE one = 1").fetchone()
    return dict(zip(HEAD_COLUMNS, row)) if row else None


def last_entry(catalog: Catalog) -> tuple[int, str, str | None] | None:
    """(id, hash, signature) of the entry with the highest id, whatever the head says."""
    return catalog.conn.execute("SELECT id, hash, sig FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()


def insert(catalog: Catalog, entry: dict) -> None:
    """Inside the caller's transaction."""
    catalog.require_transaction("auditlog.insert")
    catalog.conn.execute(f"INSERT INTO audit_log ({_SELECTED}) VALUES ({', '.join('?' * len(COLUMNS))})",
                         tuple(entry[c] for c in COLUMNS))


def set_head(catalog: Catalog, values: dict) -> None:
    """Inside the caller's transaction (the same one as the entry it points to)."""
    catalog.require_transaction("auditlog.set_head")
    catalog.conn.execute(
        f"INSERT INTO audit_head (one, {', '.join(HEAD_COLUMNS)}) VALUES (1, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (one) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in HEAD_COLUMNS),
        tuple(values.get(c) for c in HEAD_COLUMNS))


def rows(catalog: Catalog, subject: str | None = None) -> Iterator[dict]:
    """Entries oldest first, streamed; with `subject`, only those about it (as subject or among `also`)."""
    where, params = "", ()
    if subject is not None:
        pattern = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")  # the subject's own % and _
        where, params = "WHERE subject = ? OR (' ' || also || ' ') LIKE ? ESCAPE '\\'", (subject, f"% {pattern} %")
    for row in catalog.conn.execute(f"SELECT {_SELECTED} FROM audit_log {where} ORDER BY id", params):
        yield dict(zip(COLUMNS, row))
