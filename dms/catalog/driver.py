"""The door's translation of driver errors: the catalog's connection raises dms errors, never sqlite3's.

Every statement the catalog runs goes through `Connection` (execute, executemany, executescript, the cursor's
fetches and iteration). A driver error is raised again as the dms class that says what happened (dms.errors):
`CatalogDamaged` (the file is not SQLite or its pages are damaged), `CatalogBusy` (another writer held the lock
past the timeout), `DuplicateKey` (a UNIQUE or PRIMARY KEY constraint refused the write) and `CatalogError` for
anything else; the driver's exception is kept as `__cause__`. Modules outside dms/catalog/ catch these.
"""

from __future__ import annotations

import math
import sqlite3

from dms.errors import CatalogBusy, CatalogError, DuplicateKey

_DUPLICATE = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


def translate(exc: sqlite3.Error, path: object = None) -> CatalogError:
    """The dms error a driver error means (`path` names the catalog file in a damaged-file message)."""
    from dms.catalog import health

    if health.is_damage(exc):
        return health.damaged(exc, path)
    if health.is_busy(exc):
        return CatalogBusy(f"another process is writing the catalog (tried for {BUSY_TIMEOUT_MS / 1000:g} s): {exc}; "
                           "try again")
    if isinstance(exc, sqlite3.IntegrityError) and getattr(exc, "sqlite_errorname", "") in _DUPLICATE:
        return DuplicateKey(str(exc))
    return CatalogError(f"the catalog could not do it: {exc}")


class Cursor(sqlite3.Cursor):
    """A cursor whose statements and fetches raise dms errors."""

    def execute(self, sql, parameters=(), /):
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def executemany(self, sql, seq_of_parameters, /):
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def executescript(self, sql_script, /):
        try:
            return super().executescript(sql_script)
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def fetchone(self):
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def fetchmany(self, size=None):
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def fetchall(self):
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def __next__(self):
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise translate(exc) from exc


BUSY_TIMEOUT_MS = 30_000  # how long a statement waits for another process's write lock (CatalogBusy past it)


def busy_after(wait: float) -> CatalogBusy:
    """The busy error of a write that waited `wait` seconds for the lock, not the usual timeout."""
    return CatalogBusy(f"another process is writing the catalog (waited {wait:g} s for it); try again")


def wait_ms(seconds: float) -> int:
    """A wait for the write lock in whole milliseconds, at least 1: PostgreSQL reads a lock_timeout of 0 as
    waiting for ever, SQLite a busy_timeout of 0 as not waiting at all; a wait of 1 ms means the same to both."""
    return max(1, math.ceil(seconds * 1000))


class Connection(sqlite3.Connection):
    """The catalog's connection (sqlite3.connect(..., factory=Connection)): statements raise dms errors."""

    dialect = "sqlite"
    lost = False  # a file: nothing closes it but dms (PostgreSQL: dms.catalog.pgdriver)

    def begin_write(self, wait: float | None = None) -> None:
        """Begin a write transaction holding the catalog's write lock (PostgreSQL: dms.catalog.pgdriver); `wait`:
        seconds to wait for another writer's lock instead of the busy timeout (CatalogBusy past them)."""
        if wait is None:
            self.execute("BEGIN IMMEDIATE")
            return
        self.execute(f"PRAGMA busy_timeout = {wait_ms(wait)}")
        try:
            self.execute("BEGIN IMMEDIATE")
        except CatalogBusy as exc:
            raise busy_after(wait) from exc
        finally:
            self.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def cursor(self, factory=Cursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script, /):
        return self.cursor().executescript(sql_script)

    def commit(self):
        try:
            return super().commit()
        except sqlite3.Error as exc:
            raise translate(exc) from exc
