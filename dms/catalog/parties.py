"""Parties as entities: the renames and merges people made, and the names they stand for.

The names documents give (versions.parties) are never rewritten: they stay as derived, with their provenance.
`party_changes` keeps every rename and merge (undone ones too, marked), and `party_aliases` is derived from the
changes not undone, replayed in order, so that each name maps straight to its canonical name (no chains). What
lists, searches, facets, traces and bundles show goes through `canonical()`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from dms.catalog.db import LIVE, Catalog, utcnow

RECHECK = 1.0  # seconds a process trusts its copy of the aliases while it writes nothing itself
# the names each live, current document gives (j.value), in their order (j.key): json1 on SQLite, jsonb on PostgreSQL
_CURRENT = ("FROM documents d JOIN versions v ON v.id = d.current_version_id, json_each(v.parties) j "
            f"WHERE {LIVE} AND d.duplicate_of IS NULL")
_CURRENT_PG = ("FROM documents d JOIN versions v ON v.id = d.current_version_id "
               "CROSS JOIN LATERAL jsonb_array_elements_text(v.parties::jsonb) WITH ORDINALITY AS j(value, key) "
               f"WHERE {LIVE} AND d.duplicate_of IS NULL")
# what the aliases are derived from: a new change raises the highest id, an undo the count of undone ones
_STAMP = "SELECT COALESCE(MAX(id), 0), COUNT(undone_at) FROM party_changes"


def _current(catalog: Catalog) -> str:
    return _CURRENT_PG if catalog.dialect == "postgresql" else _CURRENT


def aliases(catalog: Catalog) -> dict[str, str]:
    """name -> canonical name, for every name a rename or merge not undone stands for. Read again when this
    catalog wrote them (record_change, mark_undone), or when (checked at most every RECHECK seconds) the changes
    on record are others than when they were read (another process committed one)."""
    conn = catalog.conn
    now = time.monotonic()
    inside = conn.in_transaction  # what was read inside a transaction is checked again after it (a rollback)
    cached = getattr(catalog, "_party_aliases", None)  # (stamp, checked at, read inside a transaction, aliases)
    if cached is not None and now - cached[1] < RECHECK and (inside or not cached[2]):
        return cached[3]
    stamp = tuple(conn.execute(_STAMP).fetchone())
    table = cached[3] if cached is not None and cached[0] == stamp else None
    if table is None:
        table = dict(conn.execute("SELECT name, canonical FROM party_aliases"))
    catalog._party_aliases = (stamp, now, inside, table)
    return table


def _forget_aliases(catalog: Catalog) -> None:
    """This catalog changed them: the next aliases() reads them again (inside the transaction too)."""
    catalog._party_aliases = None


def canonical(catalog: Catalog, names: Iterable[str]) -> tuple[str, ...]:
    """The names as the parties they stand for, in their order, each once."""
    table = aliases(catalog)
    if not table:
        return tuple(names)
    return tuple(dict.fromkeys(table.get(name, name) for name in names))


def names_in_use(catalog: Catalog) -> list[tuple[int, str]]:
    """(document id, party name as the document gives it) of every live, current document."""
    return catalog.conn.execute(f"SELECT d.id, j.value {_current(catalog)} ORDER BY d.id, j.key").fetchall()


def documents_naming(catalog: Catalog, names: Iterable[str]) -> list[int]:
    """The live documents whose current version gives one of the names."""
    wanted = sorted(set(names))
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    return [row[0] for row in catalog.conn.execute(
        f"SELECT DISTINCT d.id {_current(catalog)} AND j.value IN ({marks}) ORDER BY d.id", wanted)]


def record_change(catalog: Catalog, kind: str, canonical_name: str, names: Iterable[str], by: str,
                  reason: str) -> int:
    """Keep a rename or merge (inside the caller's transaction) and derive the aliases again."""
    catalog.require_transaction("parties.record_change")
    with catalog.transaction():
        (change_id,) = catalog.conn.execute(
            "INSERT INTO party_changes (kind, canonical, created_at, created_by, reason) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id", (kind, canonical_name, utcnow(), by, reason)).fetchone()
        catalog.conn.executemany("INSERT INTO party_change_names (change_id, name) VALUES (?, ?)",
                                 [(change_id, n) for n in dict.fromkeys(names)])
        _rebuild(catalog)
    return change_id


def mark_undone(catalog: Catalog, change_id: int, by: str) -> None:
    with catalog.transaction():
        catalog.conn.execute("UPDATE party_changes SET undone_at = ?, undone_by = ? WHERE id = ?",
                             (utcnow(), by, change_id))
        _rebuild(catalog)


def change(catalog: Catalog, change_id: int) -> dict | None:
    rows = _changes(catalog, "WHERE id = ?", (change_id,))
    return rows[0] if rows else None


def changes(catalog: Catalog, include_undone: bool = True) -> list[dict]:
    """Every rename and merge, newest first."""
    return _changes(catalog, "" if include_undone else "WHERE undone_at IS NULL", ())


def _changes(catalog: Catalog, where: str, params: tuple) -> list[dict]:
    keys = ("id", "kind", "canonical", "created_at", "created_by", "reason", "undone_at", "undone_by")
    rows = [dict(zip(keys, row)) for row in catalog.conn.execute(
        f"SELECT {', '.join(keys)} FROM party_changes {where} ORDER BY id DESC", params)]
    for row in rows:
        row["names"] = [n for (n,) in catalog.conn.execute(
            "SELECT name FROM party_change_names WHERE change_id = ? ORDER BY name", (row["id"],))]
    return rows


def _rebuild(catalog: Catalog) -> None:
    """Replay the changes not undone, oldest first, into a flat name -> canonical table: a change maps its
    names to its canonical name, re-points names that stood for one of them, and makes its canonical name a
    party of its own again (renaming A to B and later B to A leaves B -> A)."""
    table: dict[str, str] = {}
    for change_id, target in catalog.conn.execute(
            "SELECT id, canonical FROM party_changes WHERE undone_at IS NULL ORDER BY id").fetchall():
        names = {n for (n,) in catalog.conn.execute(
            "SELECT name FROM party_change_names WHERE change_id = ?", (change_id,))} - {target}
        table.pop(target, None)
        for name, was in table.items():
            if was in names:
                table[name] = target
        table.update(dict.fromkeys(names, target))
    catalog.conn.execute("DELETE FROM party_aliases")
    catalog.conn.executemany("INSERT INTO party_aliases (name, canonical) VALUES (?, ?)", sorted(table.items()))
    _forget_aliases(catalog)


def mark_for_index(catalog: Catalog, doc_ids: list[int]) -> None:
    """Documents the search index must read again (their parties now read differently)."""
    for start in range(0, len(doc_ids), 500):
        chunk = doc_ids[start:start + 500]
        catalog.conn.execute(
            f"UPDATE documents SET indexed_version_id = NULL WHERE id IN ({','.join('?' * len(chunk))})", chunk)
