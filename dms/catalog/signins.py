"""Sign-in attempts, counted before the password is checked.

An attempt is reserved (a row in `sign_in_failures`) in the same write transaction that counts the
recent ones, so parallel requests, threads or processes cannot all pass a check made before any of
them counted: the SQLite write lock (BEGIN IMMEDIATE) puts them in a line. A successful sign-in
clears its reservation; a failed one leaves it as the failure it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from dms.catalog.db import Catalog, utcnow


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int | None  # the reserved row; None when refused
    oldest: str | None  # when refused: the oldest failure in the window (it ends the lockout first)


def reserve(catalog: Catalog, name: str, client: str, since: str, limit: int) -> Attempt:
    """Count the attempts for this name or from this client since `since`; under `limit`, reserve one more."""
    with catalog.transaction():
        by_name, by_client, oldest = catalog.conn.execute(
            "SELECT SUM(name = ?), SUM(client = ?), MIN(at) FROM sign_in_failures "
            "WHERE at >= ? AND (name = ? OR client = ?)",
            (name, client, since, name, client),
        ).fetchone()
        if max(by_name or 0, by_client or 0) >= limit:
            return Attempt(None, oldest)
        cur = catalog.conn.execute("INSERT INTO sign_in_failures (name, client, at) VALUES (?, ?, ?)",
                                   (name, client, utcnow()))
        return Attempt(cur.lastrowid, None)


def clear(catalog: Catalog, attempt_id: int, before: str) -> None:
    """The attempt succeeded: it is no failure. Also forget failures older than `before`."""
    with catalog.transaction():
        catalog.conn.execute("DELETE FROM sign_in_failures WHERE id = ? OR at < ?", (attempt_id, before))
