"""Saved searches ("views") in the catalog: one row per view, owned by one user, unique by (owner, name).

Listed by name in any case, then by id (`lower(name)`: SQLite's NOCASE collation has no PostgreSQL twin)."""

from __future__ import annotations

from dms.catalog.db import Catalog, utcnow

_COLS = "id, owner, name, query_string, pinned, created_at, updated_at"


def rows(catalog: Catalog, owner: str, pinned_only: bool = False) -> list[tuple]:
    where = "owner = ?" + (" AND pinned = 1" if pinned_only else "")
    return catalog.conn.execute(f"SELECT {_COLS} FROM saved_views WHERE {where} ORDER BY lower(name), id",
                                (owner,)).fetchall()


def row(catalog: Catalog, view_id: int) -> tuple | None:
    return catalog.conn.execute(f"SELECT {_COLS} FROM saved_views WHERE id = ?", (view_id,)).fetchone()


def count(catalog: Catalog, owner: str) -> int:
    (n,) = catalog.conn.execute("SELECT COUNT(*) FROM saved_views WHERE owner = ?", (owner,)).fetchone()
    return n


def name_taken(catalog: Catalog, owner: str, name: str, other_than: int | None = None) -> bool:
    return catalog.conn.execute("SELECT 1 FROM saved_views WHERE owner = ? AND name = ? AND id IS DISTINCT FROM ?",
                                (owner, name, other_than)).fetchone() is not None


def insert(catalog: Catalog, owner: str, name: str, query_string: str, pinned: bool) -> int:
    """Inside the caller's transaction. Raises dms.errors.DuplicateKey if the owner has a view of that name (on
    PostgreSQL that aborts the transaction: run it in `catalog.savepoint()` to go on after catching it)."""
    catalog.require_transaction("views.insert")
    now = utcnow()
    (view_id,) = catalog.conn.execute(
        "INSERT INTO saved_views (owner, name, query_string, pinned, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "RETURNING id", (owner, name, query_string, int(pinned), now, now)).fetchone()
    return view_id


def update(catalog: Catalog, view_id: int, **fields) -> None:
    """Set name, query_string and/or pinned of one view (inside the caller's transaction)."""
    catalog.require_transaction("views.update")
    allowed = {"name", "query_string", "pinned"}
    if not fields or set(fields) - allowed:
        raise ValueError(f"a view has only the fields {sorted(allowed)}")
    sets = ", ".join(f"{k} = ?" for k in fields)
    values = [int(v) if k == "pinned" else v for k, v in fields.items()]
    catalog.conn.execute(f"UPDATE saved_views SET {sets}, updated_at = ? WHERE id = ?", (*values, utcnow(), view_id))


def delete(catalog: Catalog, view_id: int) -> None:
    catalog.conn.execute("DELETE FROM saved_views WHERE id = ?", (view_id,))

