"""The catalog's own health: SQLite's integrity check, a damaged file told apart from other SQLite errors,
and the stored originals `dms verify` found damaged (so that ingest repairs them from an intact source).

A catalog on PostgreSQL has no file of its own to check: its pages are the server's to keep (checksums, backups).
What can be checked from a connection is: its B-tree indexes against their tables, when the server has the
`amcheck` extension installed in the database (`CREATE EXTENSION amcheck`, by its administrator), and whether
the role dms connects as owns the audit log (an owner can switch its append-only triggers off). Both are said
as notes (`integrity_notes`); a broken index is a problem (`integrity_problems`)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dms.errors import CatalogDamaged

if TYPE_CHECKING:
    from dms.catalog.db import Catalog

# SQLITE_CORRUPT: pages that do not make sense; SQLITE_NOTADB: no SQLite header (the first 100 bytes destroyed)
_DAMAGE = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
MAX_LINES = 20  # of integrity_check's findings reported; the first ones say enough


def is_damage(exc: BaseException) -> bool:
    """Whether a SQLite error says the file itself is damaged (not locked, full or misused)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return isinstance(exc, sqlite3.DatabaseError) and any(name.startswith(code) for code in _DAMAGE)


def damaged(exc: BaseException, path: Path | str | None = None) -> CatalogDamaged:
    where = f"the catalog {path}" if path else "the catalog"
    return CatalogDamaged(f"{where} is not a SQLite database or is damaged: {exc}; restore it from a backup "
                          "(`dms verify` lists what SQLite found)")


def is_busy(exc: BaseException) -> bool:
    """Whether a catalog error says another process holds the write lock (busy or locked past the timeout)."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def integrity_problems(catalog: Catalog) -> list[str]:
    """What SQLite's full integrity check finds (every page, every index against its table); [] when sound.
    On PostgreSQL: what amcheck finds in the catalog's B-tree indexes, when the extension is there."""
    if catalog.dialect == "postgresql":
        return _index_problems(catalog) if _has_amcheck(catalog) else []
    try:
        rows = catalog.conn.execute(f"PRAGMA integrity_check({MAX_LINES})").fetchall()
    except CatalogDamaged as exc:  # the catalog's connection translates driver errors (dms.catalog.driver)
        return [str(exc.__cause__ or exc)]
    lines = [line for (text,) in rows for line in str(text).splitlines() if line.strip()]
    return [] if lines == ["ok"] else [line for line in lines if not line.startswith("*** in database")]


def check_name(catalog: Catalog) -> str:
    """What integrity_problems ran, for a report's lines."""
    return "amcheck's index check" if catalog.dialect == "postgresql" else "SQLite's integrity check"


def integrity_notes(catalog: Catalog) -> list[str]:
    """What a report says about the check besides problems: on PostgreSQL, what was and was not checked."""
    if catalog.dialect != "postgresql":
        return []
    notes = []
    if _has_amcheck(catalog):
        notes.append("the catalog is on PostgreSQL: amcheck checked its B-tree indexes; its tables' pages are the "
                     "server's to check (data checksums, backups)")
    else:
        notes.append("the catalog is on PostgreSQL: its pages and indexes are the server's to check (data checksums, "
                     "backups); with the amcheck extension in the database (CREATE EXTENSION amcheck) `dms verify` "
                     "also checks the indexes")
    owner = catalog.conn.execute(
        "SELECT pg_has_role(current_user, tableowner, 'USAGE') OR "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) FROM pg_tables "
        "WHERE schemaname = current_schema() AND tablename = 'audit_log'").fetchone()
    if owner and owner[0]:
        notes.append("dms connects as a role that owns the audit log, may act as its owner or is a superuser: it can "
                     "switch the log's append-only triggers off; run dms as a role that does not own the catalog's "
                     "tables (the hash chain still shows any change)")
    return notes


def _has_amcheck(catalog: Catalog) -> bool:
    return catalog.conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").fetchone() is not None


def _index_problems(catalog: Catalog) -> list[str]:
    """bt_index_check of every B-tree index of the catalog's tables (read locks only, as the tables are used)."""
    from dms.errors import CatalogError

    names = [name for (name,) in catalog.conn.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.amname = 'btree' AND n.nspname = current_schema() "
        "ORDER BY c.relname")]
    found = []
    for name in names:
        try:
            catalog.conn.execute("SELECT bt_index_check(to_regclass(?))", (name,)).fetchone()
        except CatalogError as exc:
            found.append(f"index {name}: {exc}")
            if len(found) >= MAX_LINES:
                break
    return found


def damaged_blobs(catalog: Catalog) -> dict[str, str]:
    """sha256 -> why, for the stored originals the last `dms verify` found altered or missing."""
    return dict(catalog.conn.execute("SELECT sha256, reason FROM damaged_blobs"))


def set_damaged_blobs(catalog: Catalog, found: dict[str, str]) -> None:
    """Replace the list with what this verify found (a blob repaired since is no longer listed)."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with catalog.transaction():
        catalog.conn.execute("DELETE FROM damaged_blobs")
        catalog.conn.executemany("INSERT INTO damaged_blobs (sha256, reason, found_at) VALUES (?, ?, ?)",
                                 [(sha, reason, at) for sha, reason in found.items()])


def clear_damaged_blob(catalog: Catalog, sha256: str) -> None:
    catalog.conn.execute("DELETE FROM damaged_blobs WHERE sha256 = ?", (sha256,))
