"""Proving two catalogs hold the same rows (`dms catalog verify --against URL`, and the end of every copy).

`compare(a, b)` reads each table of the schema (dms/catalog/schema.py) on both catalogs in key order, in one read
snapshot per side, side by side, and gives per table the row count and the SHA-256 of the rows on each side, and the
first key where they part. Each row is hashed as one line of JSON, its values normalised so that the same rows give
the same digest on either dialect (by the column's type in schema.py: an integral float in an integer column is an
int, an int in a float column a float, bytes are tagged hex, text is without NUL characters, which PostgreSQL
cannot hold), NULLs first in key order, text keys in byte order (`COLLATE "C"` on PostgreSQL, SQLite's own).
Rows are streamed (a server-side cursor on PostgreSQL): memory stays flat whatever the catalog's size. The audit
chain is checked by the caller (dms.audit: the rules of the log are not the catalog's).

The table shapes and the streaming read are shared with dms.catalog.copy.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from dms.catalog.db import Catalog

BATCH = 1000  # rows a fetch (and an executemany on SQLite)

# on_progress(phase, table, done, total): phase "copy" or "compare"; done == total once a table is finished
Progress = Callable[[str, str, int, int], None]


# -- the shape of the tables, from schema.py --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shape:
    """One table as the copy and the comparison see it."""

    name: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]  # per column: "int", "float", "bytes", "text" or "other" (how a value is normalised)
    key: tuple[str, ...]  # the order rows are read in: the primary key, else every column
    serial: str | None  # the single integer key column (PostgreSQL: its sequence, if any, moves on after a copy)

    def select(self, dialect: str) -> str:
        """Every row in key order: NULLs first on both dialects, text compared byte by byte."""
        order = ", ".join(f'"{c}"{_bytewise(dialect, self.kinds[self.columns.index(c)])} NULLS FIRST'
                          for c in self.key)
        return f"SELECT {', '.join(quoted(self.columns))} FROM \"{self.name}\" ORDER BY {order}"

    def insert(self) -> str:
        return (f"INSERT INTO \"{self.name}\" ({', '.join(quoted(self.columns))}) "
                f"VALUES ({', '.join('?' * len(self.columns))})")


def quoted(columns) -> list[str]:
    return [f'"{c}"' for c in columns]  # "user" and "offset" are words of PostgreSQL: every name is quoted


def _bytewise(dialect: str, kind: str) -> str:
    # SQLite compares text byte by byte (BINARY); a PostgreSQL database may have another collation
    return ' COLLATE "C"' if dialect == "postgresql" and kind == "text" else ""


def _kind(column) -> str:
    import sqlalchemy as sa

    t = column.type
    if isinstance(t, sa.Integer | sa.Boolean):
        return "int"
    if isinstance(t, sa.Float | sa.Numeric):
        return "float"
    if isinstance(t, sa.LargeBinary):
        return "bytes"
    if isinstance(t, sa.String):
        return "text"
    return "other"


@cache
def shapes() -> tuple[Shape, ...]:
    """Every table of the schema, parents before children (the foreign keys of a cycle left out of the order:
    they are checked at COMMIT)."""
    from sqlalchemy.schema import sort_tables_and_constraints

    from dms.catalog.schema import metadata

    out = []
    for table, _ in sort_tables_and_constraints(metadata.tables.values()):
        if table is None:  # the constraints of a cycle
            continue
        columns = tuple(c.name for c in table.columns)
        key = tuple(c.name for c in table.primary_key.columns) or columns
        pk = list(table.primary_key.columns)
        serial = pk[0].name if len(pk) == 1 and _kind(pk[0]) == "int" else None
        out.append(Shape(table.name, columns, tuple(_kind(c) for c in table.columns), key, serial))
    return tuple(out)


# -- reading -------------------------------------------------------------------------------------------------


@contextmanager
def reading(catalog: Catalog) -> Iterator[None]:
    """One read snapshot for the block (joins a transaction already open)."""
    conn = catalog.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if catalog.dialect == "postgresql" else "BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # nothing was written


_cursors = itertools.count(1)  # names of server-side cursors (PostgreSQL), one per query


def batches(catalog: Catalog, sql: str) -> Iterator[list[tuple]]:
    """The rows of a query, BATCH at a time, never all in memory (PostgreSQL: a cursor on the server; inside a
    transaction)."""
    conn = catalog.conn
    if catalog.dialect != "postgresql":
        cursor = conn.execute(sql)
        while rows := cursor.fetchmany(BATCH):
            yield rows
        return
    name = f"dms_copy_{next(_cursors)}"
    conn.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}")
    while rows := conn.execute(f"FETCH FORWARD {BATCH} FROM {name}").fetchall():
        yield rows
    conn.execute(f"CLOSE {name}")


def row_count(catalog: Catalog, shape: Shape) -> int:
    return catalog.conn.execute(f'SELECT COUNT(*) FROM "{shape.name}"').fetchone()[0]

# -- comparing ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class TableComparison:
    table: str
    rows: tuple[int, int]
    sha256: tuple[str, str]
    first_difference: dict | None = None  # the key of the first row that is not the same on both sides

    @property
    def same(self) -> bool:
        return self.rows[0] == self.rows[1] and self.sha256[0] == self.sha256[1]

    def problem(self) -> str | None:
        if self.same:
            return None
        where = f"; first difference at {_key_text(self.first_difference)}" if self.first_difference else ""
        if self.rows[0] != self.rows[1]:
            return f"table {self.table}: {self.rows[0]} rows against {self.rows[1]}{where}"
        return f"table {self.table}: the same {self.rows[0]} rows in number, but their contents differ{where}"

    def to_dict(self) -> dict:
        return {"table": self.table, "rows": list(self.rows), "sha256": list(self.sha256), "same": self.same,
                "first_difference": self.first_difference}


def _key_text(key: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in key.items())


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
_PLAIN = {"int": int, "float": float, "text": str}  # the type a value of the kind comes back as: kept as it is


def _normal(kind: str, value):
    """A value that is not of its column's plain type (or is text holding NUL), as both dialects would give back
    the same stored value: an integral float in an integer column is an int, an int in a float column a float,
    bytes are ["bytes", hex] (never equal to a text), text is without NUL characters."""
    if isinstance(value, bool):
        value = int(value)
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "float" and isinstance(value, int):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return ["bytes", bytes(value).hex()]
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


def _encoder(shape: Shape) -> Callable[[tuple], bytes]:
    """A row of `shape` as the line its digest reads: its values normalised, as JSON. Values of their column's
    plain type are taken as they are (the usual case, and the fast one: a digest reads every row)."""
    plains = tuple(_PLAIN.get(kind) for kind in shape.kinds)
    kinds = shape.kinds

    def encoded(row: tuple) -> bytes:
        values = [v if v is None or (v.__class__ is plain and (plain is not str or "\x00" not in v))
                  else _normal(kind, v) for plain, kind, v in zip(plains, kinds, row)]
        return (_JSON.encode(values) + "\n").encode()

    return encoded


def _rows(catalog: Catalog, shape: Shape) -> Iterator[tuple]:
    for batch in batches(catalog, shape.select(catalog.dialect)):
        yield from batch


def compare_table(a: Catalog, b: Catalog, shape: Shape, on_progress: Progress | None = None) -> TableComparison:
    """Both sides of one table read in key order side by side: counts, digests and the first key that differs."""
    total = max(row_count(a, shape), row_count(b, shape))
    ha, hb = hashlib.sha256(), hashlib.sha256()
    na = nb = 0
    first = None
    rows_a, rows_b = _rows(a, shape), _rows(b, shape)
    encoded = _encoder(shape)
    key_at = [shape.columns.index(c) for c in shape.key]
    while True:
        ra, rb = next(rows_a, None), next(rows_b, None)
        if ra is None and rb is None:
            break
        ea = encoded(ra) if ra is not None else None
        eb = encoded(rb) if rb is not None else None
        if ea is not None:
            ha.update(ea)
            na += 1
        if eb is not None:
            hb.update(eb)
            nb += 1
        if first is None and ea != eb:
            row = ra if ra is not None else rb
            first = {shape.columns[i]: _normal(shape.kinds[i], row[i]) for i in key_at}
        if on_progress and max(na, nb) % (BATCH * 10) == 0:
            on_progress("compare", shape.name, max(na, nb), total)
    if on_progress:
        on_progress("compare", shape.name, max(na, nb), max(na, nb))
    return TableComparison(shape.name, (na, nb), (ha.hexdigest(), hb.hexdigest()), first)


def compare(a: Catalog, b: Catalog, on_progress: Progress | None = None) -> list[TableComparison]:
    """Every table of the schema on both catalogs, each side read in one snapshot."""
    with reading(a), reading(b):
        return [compare_table(a, b, shape, on_progress) for shape in shapes()]
