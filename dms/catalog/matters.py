"""Legal-hold matters in the catalog (dms.holds, dms.bulk): placing, releasing, listing, and widening a
matter's scope. A matter is a plain dict of KEYS, its scope decoded from JSON."""

from __future__ import annotations

import json

from dms.catalog.db import Catalog, without_nul

KEYS = ("id", "name", "description", "custodian_notes", "scope", "created_by", "created_at", "released_by",
        "released_at", "release_reason")


def exists(catalog: Catalog, name: str) -> bool:
    """Whether a matter of this name is on file (released ones too)."""
    return catalog.conn.execute("SELECT 1 FROM matters WHERE name = ?", (name,)).fetchone() is not None


def add(catalog: Catalog, name: str, description: str, custodian_notes: str, scope: dict, by: str, at: str) -> None:
    """Inside the caller's transaction (the one that checked `exists` and audits the hold)."""
    catalog.require_transaction("matters.add")
    catalog.conn.execute(
        "INSERT INTO matters (name, description, custodian_notes, scope, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (name, without_nul(description), without_nul(custodian_notes), json.dumps(scope), by, at))


def release(catalog: Catalog, name: str, by: str, at: str, reason: str) -> bool:
    """Release the matter if it still holds: False when it is released already (or there is no such matter), so
    that of two releases only one wins. Inside the caller's transaction."""
    catalog.require_transaction("matters.release")
    return catalog.conn.execute(
        "UPDATE matters SET released_by = ?, released_at = ?, release_reason = ? "
        "WHERE name = ? AND released_at IS NULL",
        (by, at, without_nul(reason), name)).rowcount == 1


def listing(catalog: Catalog, include_released: bool = True) -> list[dict]:
    """Every matter (or only those still holding), by name."""
    where = "" if include_released else "WHERE released_at IS NULL"
    rows = catalog.conn.execute(f"SELECT {', '.join(KEYS)} FROM matters {where} ORDER BY name").fetchall()
    return [{**dict(zip(KEYS, r)), "scope": json.loads(r[4])} for r in rows]


def scope_of(catalog: Catalog, name: str) -> tuple[int, dict, str | None] | None:
    """(id, scope, released_at) of the matter, or None."""
    row = catalog.conn.execute("SELECT id, scope, released_at FROM matters WHERE name = ?", (name,)).fetchone()
    return None if row is None else (row[0], json.loads(row[1]), row[2])


def set_scope(catalog: Catalog, name: str, scope: dict) -> None:
    """Inside the caller's transaction."""
    catalog.require_transaction("matters.set_scope")
    catalog.conn.execute("UPDATE matters SET scope = ? WHERE name = ?", (json.dumps(scope), name))
