"""Change requests in the catalog: the workflow's rows, their state history and the yearly number counters.

The workflow (dms.changes.workflow) decides; these functions only read and write. Those that write say that
they run inside the caller's transaction (`catalog.transaction()`), and refuse to run outside one: a number
is allocated and its request inserted in one transaction, so a failure rolls the counter back with it and
numbers have no gaps; a request is re-read, checked and updated in one transaction, and the update itself
matches the revision that was checked, so no concurrent write is lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dms.catalog.db import Catalog, without_nul
from dms.errors import StaleWrite

_COLS = "number, title, applicant, state, data, revision, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class RequestRow:
    """A change request as stored: its fields beyond the fixed ones are in `data` (a fresh dict per read)."""
    number: str
    title: str
    applicant: str
    state: str
    data: dict
    revision: int
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One step of a request's history: who moved it from which state to which, when, with what note."""
    at: str
    user: str
    from_state: str | None
    to_state: str
    note: str


def _request(row) -> RequestRow:
    number, title, applicant, state, data, revision, created_at, updated_at = row
    return RequestRow(number, title, applicant, state, json.loads(data), revision, created_at, updated_at)


class _Undo(Exception):
    """Raised at the end of a trial to roll it back."""


@contextmanager
def trial(catalog: Catalog) -> Iterator[None]:
    """A write transaction that is always rolled back: what runs in it reads, checks and writes as it would, then
    nothing of it stays (a dry run). Refuses to run inside another transaction, which it could not undo alone."""
    if catalog.conn.in_transaction:
        raise RuntimeError("a trial must not run inside another transaction")
    try:
        with catalog.transaction():
            yield
            raise _Undo
    except _Undo:
        pass


def request(catalog: Catalog, number: str) -> RequestRow | None:
    """The request with this number (as stored, upper case), or None."""
    row = catalog.conn.execute(f"SELECT {_COLS} FROM change_requests WHERE number = ?", (number,)).fetchone()
    return None if row is None else _request(row)


def requests(catalog: Catalog) -> list[RequestRow]:
    """Every request in the workflow, by number."""
    return [_request(row) for row in catalog.conn.execute(f"SELECT {_COLS} FROM change_requests ORDER BY number")]


def created_at(catalog: Catalog, number: str) -> str | None:
    """When the request was opened (UTC, ISO 8601), or None if there is no such request."""
    row = catalog.conn.execute("SELECT created_at FROM change_requests WHERE number = ?", (number,)).fetchone()
    return None if row is None else row[0]


def next_serial(catalog: Catalog, year: int, pattern: re.Pattern) -> int:
    """The next serial number of the year's change requests. Inside the caller's transaction, which must also
    insert the request (so a failure gives the number back). The year's counter starts after the highest serial
    the archive already uses: document numbers and references that `pattern` matches (group 1: the serial)."""
    catalog.require_transaction("changes.next_serial")
    conn = catalog.conn
    if conn.execute("SELECT 1 FROM cr_counters WHERE year = ?", (year,)).fetchone() is None:
        used = [int(m.group(1)) for (n,) in conn.execute(
            "SELECT DISTINCT number FROM versions WHERE number IS NOT NULL UNION SELECT DISTINCT number FROM refs")
            if (m := pattern.match(n))]
        # another process may have seeded the year meanwhile (on PostgreSQL two can get this far): theirs stays
        conn.execute("INSERT INTO cr_counters (year, last) VALUES (?, ?) ON CONFLICT (year) DO NOTHING",
                     (year, max(used, default=0)))
    (last,) = conn.execute("UPDATE cr_counters SET last = last + 1 WHERE year = ? RETURNING last", (year,)).fetchone()
    return last


def insert_request(catalog: Catalog, number: str, title: str, applicant: str, state: str, data: dict,
                   at: str) -> None:
    """Store a new request at revision 1. Inside the caller's transaction (with its number's allocation)."""
    catalog.require_transaction("changes.insert_request")
    catalog.conn.execute(
        "INSERT INTO change_requests (number, title, applicant, state, data, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", (number, without_nul(title), applicant, state, json.dumps(data), at, at))


def update_request(catalog: Catalog, number: str, revision: int, state: str, data: dict, at: str) -> None:
    """Write the request's state and fields as revision + 1, only if it is still at `revision` (else StaleWrite,
    nothing written). Inside the caller's transaction, which read and checked that revision."""
    catalog.require_transaction("changes.update_request")
    cur = catalog.conn.execute(
        "UPDATE change_requests SET state = ?, data = ?, revision = revision + 1, updated_at = ? "
        "WHERE number = ? AND revision = ?", (state, json.dumps(data), at, number, revision))
    if cur.rowcount != 1:
        raise StaleWrite(f"{number} was changed by someone else meanwhile (it is no longer at revision "
                         f"{revision}); nothing was changed")


def add_history(catalog: Catalog, number: str, at: str, user: str, from_state: str | None, to_state: str,
                note: str) -> None:
    """One step in the request's history. Inside the caller's transaction (with the change it records)."""
    catalog.require_transaction("changes.add_history")
    catalog.conn.execute(
        'INSERT INTO cr_history (number, at, "user", from_state, to_state, note) VALUES (?, ?, ?, ?, ?, ?)',
        (number, at, user, from_state, to_state, without_nul(note)))


def history(catalog: Catalog, number: str) -> list[HistoryRow]:
    """The request's history, oldest first."""
    cur = catalog.conn.execute(
        'SELECT at, "user", from_state, to_state, note FROM cr_history WHERE number = ? ORDER BY id', (number,))
    return [HistoryRow(*row) for row in cur]
