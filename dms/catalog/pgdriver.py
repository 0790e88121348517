"""The PostgreSQL side of the door: a connection with the same surface as the SQLite one (dms.catalog.driver).

The catalog's statements are written once, in SQL both dialects read, with `?` placeholders (the schema itself
comes from SQLAlchemy Core, dms/catalog/schema.py, and its migrations from Alembic). Here each statement is turned
into psycopg's form once (`?` -> `%s`, a literal `%` doubled; quoted text and identifiers left alone) and kept.
Driver errors are raised again as dms errors, as on SQLite: `DuplicateKey` (a unique constraint), `CatalogBusy`
(the write lock was not granted within `LOCK_TIMEOUT`), `CatalogError` for the rest (an unreachable server says
where it tried, never the password).

Writers are serialised as on SQLite (BEGIN IMMEDIATE there): `transaction()` takes a transaction-scoped advisory
lock, released at COMMIT or ROLLBACK, or by the server when the process dies. Readers are never blocked.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from dms.catalog.driver import busy_after, wait_ms
from dms.errors import CatalogBusy, CatalogError, DuplicateKey

WRITE_LOCK = 0x646D73  # "dms": the advisory lock every write transaction takes (pg_advisory_xact_lock)
LOCK_TIMEOUT = "30s"  # as long as SQLite's busy timeout


def libpq_url(url: str) -> str:
    """The URL psycopg takes: postgresql+psycopg://… and postgres://… become postgresql://… (only the scheme is
    replaced: postgresql:///dbname, libpq's form for a local socket or PGHOST, keeps its empty host)."""
    return "postgresql://" + url.split("://", 1)[1]


_SECRET_PARAMETERS = ("password", "passfile", "sslpassword", "sslkey")


def redacted(url: str) -> str:
    """The URL without its password (in user:password@ or as ?password=…), for messages and the audit log."""
    from urllib.parse import parse_qsl, urlencode

    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in _SECRET_PARAMETERS for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMETERS else v) for k, v in pairs], safe="/*")
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


@lru_cache(maxsize=4096)
def to_format(sql: str) -> str | None:
    """psycopg's text of a `?` statement, or None when it has no placeholder (then it is sent as written)."""
    if "?" not in sql:
        return None
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


def translate(exc: Exception, url: str = "") -> CatalogError:
    import psycopg
    from psycopg import errors

    if isinstance(exc, errors.UniqueViolation):
        return DuplicateKey(str(exc).strip())
    if isinstance(exc, errors.LockNotAvailable | errors.DeadlockDetected | errors.SerializationFailure):
        return CatalogBusy(f"another process is writing the catalog (waited {LOCK_TIMEOUT}): {exc}; try again")
    if isinstance(exc, psycopg.OperationalError):
        return CatalogError(f"cannot reach the PostgreSQL catalog {redacted(url)}: {str(exc).strip()}")
    return CatalogError(f"the catalog could not do it: {str(exc).strip()}")


def _params(parameters):
    """The values to bind; NUL characters left out of text, which PostgreSQL cannot hold (SQLite keeps them:
    the ingest already drops them from page text on both, `dms catalog copy` lists what it drops)."""
    values = parameters if isinstance(parameters, tuple | list) else tuple(parameters)
    if any(type(v) is str and "\x00" in v for v in values):
        return tuple(v.replace("\x00", "") if type(v) is str else v for v in values)
    return values


class Cursor:
    """The rows of one statement; fetches and iteration as sqlite3's cursor."""

    def __init__(self, cursor):
        self._cur = cursor
        self._returns: bool | None = None  # whether the statement returns rows, read once

    @property
    def _rows(self) -> bool:
        if self._returns is None:  # psycopg builds the column list anew at each `description`: not at each row
            self._returns = self._cur.description is not None
        return self._returns

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def description(self):
        return self._cur.description

    @property
    def lastrowid(self):
        raise CatalogError("lastrowid is not portable: write INSERT … RETURNING id")

    def fetchone(self):
        return self._fetch(self._cur.fetchone) if self._rows else None

    def fetchall(self):
        return self._fetch(self._cur.fetchall) if self._rows else []

    def fetchmany(self, size: int = 1):
        return self._fetch(lambda: self._cur.fetchmany(size)) if self._rows else []

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    @staticmethod
    def _fetch(fetch):
        import psycopg

        try:
            return fetch()
        except psycopg.Error as exc:
            raise translate(exc) from exc


class Connection:
    """The catalog's PostgreSQL connection: autocommit outside `transaction()`, as the SQLite one."""

    dialect = "postgresql"

    def __init__(self, url: str):
        import psycopg

        self.url = url
        try:
            self._conn = psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            raise translate(exc, url) from exc
        _exact_numbers(self._conn)
        self.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        # a connection the server dropped is UNKNOWN: its transaction is gone (rolled back by the server), and a
        # ROLLBACK sent on it would fail and hide the error that ended it
        return self._conn.info.transaction_status in (TransactionStatus.ACTIVE, TransactionStatus.INTRANS,
                                                      TransactionStatus.INERROR)

    def execute(self, sql: str, parameters=(), /) -> Cursor:
        import psycopg

        text = to_format(sql)
        try:
            cur = self._conn.cursor()  # raises here once the server has closed the connection
            if text is None:
                cur.execute(sql)
            else:
                cur.execute(text, _params(parameters))
        except psycopg.Error as exc:
            raise translate(exc, self.url) from exc
        return Cursor(cur)

    def executemany(self, sql: str, seq_of_parameters, /) -> Cursor:
        import psycopg

        rows = [_params(p) for p in seq_of_parameters]
        try:
            cur = self._conn.cursor()
            if not rows:
                return Cursor(cur)
            cur.executemany(to_format(sql) or sql, rows)
        except psycopg.Error as exc:
            raise translate(exc, self.url) from exc
        return Cursor(cur)

    def copy_in(self, table: str, columns, rows) -> None:
        """COPY table (columns) FROM STDIN, the rows streamed: a bulk load (`dms catalog copy`)."""
        import psycopg

        names = ", ".join(f'"{c}"' for c in columns)
        try:
            with self._conn.cursor() as cur, cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as stream:
                for row in rows:
                    stream.write_row(row)
        except psycopg.Error as exc:
            raise translate(exc, self.url) from exc

    @property
    def lost(self) -> bool:
        """Whether the server has closed this connection (a restart, an administrator, a network cut): it will
        not work again; open a new one."""
        return self._conn.closed or self._conn.broken

    def begin_write(self, wait: float | None = None) -> None:
        """BEGIN and the catalog's write lock (SQLite's BEGIN IMMEDIATE); `wait`: seconds to wait for the lock
        instead of LOCK_TIMEOUT (CatalogBusy past them)."""
        # READ COMMITTED whatever the database's default: each statement after the lock sees what the previous
        # holder committed (at REPEATABLE READ the snapshot would be taken before the lock was granted)
        self.execute("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE")
        if wait is None:
            self.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            return
        self.execute(f"SET LOCAL lock_timeout = '{wait_ms(wait)}ms'")
        try:
            self.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        except CatalogBusy as exc:
            raise busy_after(wait) from exc
        self.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")

    def close(self) -> None:
        self._conn.close()


def _exact_numbers(conn) -> None:
    """numeric (what SUM over bigint gives) as int when whole, else float: never Decimal, as SQLite."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data):
            text = bytes(data).decode()
            if text.lstrip("-").isdigit():
                return int(text)
            return float(text)

    conn.adapters.register_loader("numeric", NumericLoader)
