"""The notice outbox: notices written with the decision they tell, delivered afterwards.

`add` runs inside the decision's transaction, so the decision and its notice are on record together
or not at all. Delivery (dms.changes.notify.deliver_pending) then archives and sends each pending row
and marks it; a failure keeps the row, with its error, for the next try.

Several `dms serve` processes may share one catalog: only the one holding the courier's claim (`claim_courier`)
delivers, so that no notice goes out twice. The claim is a session advisory lock on PostgreSQL and an flock on a
file of the data directory on SQLite; either is let go when its process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dms.catalog.db import Catalog, utcnow
from dms.errors import NotFound

COURIER_LOCK = 0x646D7343  # "dmsC": the session advisory lock of the process that delivers notices (PostgreSQL)

_COLS = ("id, name, number, message, created_at, archived_at, delivered_at, delivered_to, attempts, last_error, "
         "last_attempt_at")


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    name: str
    number: str
    message: bytes
    created_at: str
    archived_at: str | None
    delivered_at: str | None
    delivered_to: str | None
    attempts: int
    last_error: str | None
    last_attempt_at: str | None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "number": self.number, "created_at": self.created_at,
                "archived_at": self.archived_at, "delivered_at": self.delivered_at,
                "delivered_to": self.delivered_to, "attempts": self.attempts, "last_error": self.last_error,
                "last_attempt_at": self.last_attempt_at}


def add(catalog: Catalog, number: str, name: str, message: bytes) -> int:
    """Queue a notice; call it inside the transaction that records what it tells."""
    with catalog.transaction():
        (notice_id,) = catalog.conn.execute(
            "INSERT INTO notice_outbox (name, number, message, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (name, number, message, utcnow())).fetchone()
    return notice_id


def notices(catalog: Catalog, pending_only: bool = False, number: str | None = None) -> list[Notice]:
    where, params = [], []
    if pending_only:
        where.append("delivered_at IS NULL")
    if number:
        where.append("number = ?")
        params.append(number.upper())
    sql = f"SELECT {_COLS} FROM notice_outbox" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id"
    return [Notice(*row) for row in catalog.conn.execute(sql, params)]


def get(catalog: Catalog, notice_id: int) -> Notice:
    row = catalog.conn.execute(f"SELECT {_COLS} FROM notice_outbox WHERE id = ?", (notice_id,)).fetchone()
    if row is None:
        raise NotFound(f"there is no notice {notice_id} in the outbox")
    return Notice(*row)


def mark_archived(catalog: Catalog, notice_id: int) -> None:
    with catalog.transaction():
        catalog.conn.execute("UPDATE notice_outbox SET archived_at = COALESCE(archived_at, ?) WHERE id = ?",
                             (utcnow(), notice_id))


def mark_delivered(catalog: Catalog, notice_id: int, to: str) -> None:
    now = utcnow()
    with catalog.transaction():
        catalog.conn.execute(
            "UPDATE notice_outbox SET delivered_at = ?, delivered_to = ?, attempts = attempts + 1, "
            "last_error = NULL, last_attempt_at = ? WHERE id = ? AND delivered_at IS NULL",
            (now, to, now, notice_id))


def mark_failed(catalog: Catalog, notice_id: int, error: str) -> None:
    with catalog.transaction():
        catalog.conn.execute(
            "UPDATE notice_outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ? WHERE id = ?",
            (error, utcnow(), notice_id))


def claim_courier(catalog: Catalog, lock_file: Path) -> Callable[[], None] | None:
    """Become the one process that delivers notices, if no other is: returns what lets the claim go, or None
    when another process (or another connection of this one) holds it. PostgreSQL: a session advisory lock on
    this catalog's connection (it delivers through that connection); SQLite: an flock on `lock_file`."""
    if catalog.dialect == "postgresql":
        (got,) = catalog.conn.execute(f"SELECT pg_try_advisory_lock({COURIER_LOCK})").fetchone()
        if not got:
            return None

        def unlock() -> None:
            try:
                catalog.conn.execute(f"SELECT pg_advisory_unlock({COURIER_LOCK})").fetchone()
            except Exception:  # the connection is closed or broken: the server let the lock go with its session
                pass

        return unlock
    from dms.locks import open_own

    fd = open_own(lock_file)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return lambda: os.close(fd)  # closing lets the flock go
