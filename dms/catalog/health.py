"""The catalog's own health: SQLite's integrity check, a damaged file told apart from other SQLite errors,
and the stored originals `dms verify` found damaged (so that ingest repairs them from an intact source)."""

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
    """What SQLite's full integrity check finds (every page, every index against its table); [] when sound."""
    try:
        rows = catalog.conn.execute(f"PRAGMA integrity_check({MAX_LINES})").fetchall()
    except CatalogDamaged as exc:  # the catalog's connection translates driver errors (dms.catalog.driver)
        return [str(exc.__cause__ or exc)]
    lines = [line for (text,) in rows for line in str(text).splitlines() if line.strip()]
    return [] if lines == ["ok"] else [line for line in lines if not line.startswith("*** in database")]


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
