"""Catalog queries of dms.plans: the live documents carrying a number (plans are picked from them by the
identifier family of their number), the revisions of one number, and the document recorded from one path."""

from __future__ import annotations

from dms.catalog.db import Catalog
from dms.catalog.rows import DOCUMENTS, DocumentRow, documents

_LIVE = "d.retired_at IS NULL AND d.purged_at IS NULL AND d.duplicate_of IS NULL"


def numbered(catalog: Catalog, prefix: str = "") -> list[DocumentRow]:
    """Every live document (not retired, purged or a copy) whose number starts with `prefix` (any case)."""
    return documents(catalog, f"{DOCUMENTS} WHERE {_LIVE} AND v.number IS NOT NULL "
                              "AND lower(v.number) LIKE lower(?) ESCAPE '\\' ORDER BY d.id",
                     (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",))


def revisions_of(catalog: Catalog, number: str) -> list[DocumentRow]:
    """The live documents carrying exactly this number (its revisions), copies left out."""
    return documents(catalog, f"{DOCUMENTS} WHERE {_LIVE} AND v.number = ? ORDER BY d.id", (number,))


def at_path(catalog: Catalog, path: str) -> DocumentRow | None:
    return catalog.document_at_path(path)


def cached(catalog: Catalog, version_id: int, digest: str) -> str | None:
    """The JSON of a plan read from this version with rules of this digest, if it was kept."""
    row = catalog.conn.execute("SELECT data FROM plan_cache WHERE version_id = ? AND digest = ?",
                               (version_id, digest)).fetchone()
    return row[0] if row else None


def keep(catalog: Catalog, version_id: int, digest: str, data: str) -> None:
    with catalog.transaction():
        catalog.conn.execute("INSERT INTO plan_cache (version_id, digest, data) VALUES (?, ?, ?) "
                             "ON CONFLICT (version_id) DO UPDATE SET digest = excluded.digest, data = excluded.data",
                             (version_id, digest, data))


def forget(catalog: Catalog, version_ids: list[int]) -> None:
    """Drop what was kept of these versions (a purged document keeps none of its content)."""
    with catalog.transaction():
        catalog.conn.executemany("DELETE FROM plan_cache WHERE version_id = ?", [(v,) for v in version_ids])


def last_change(catalog: Catalog) -> tuple:
    """What a plan check's answer may depend on beyond the documents (dms.graph.stamp.stamp counts those): the
    newest audit entry (every change people make: requests, decisions, edits, imports) and change request."""
    return tuple(catalog.conn.execute("SELECT (SELECT MAX(id) FROM audit_log), "
                                      "(SELECT MAX(updated_at) FROM change_requests)").fetchone())
