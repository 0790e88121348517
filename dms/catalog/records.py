"""A document's record as people change it (dms.records): metadata corrections, retiring and restoring,
purging down to a tombstone. Writes run inside the caller's transaction (the one that audits them)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from dms.catalog.db import Catalog, without_nul

VERSION_FIELDS = ("title", "doc_type", "doc_date", "number", "revision", "products", "parties", "sources")
# rows derived from a version's content, dropped when its document is purged
_CONTENT_TABLES = ("pages", "refs", "metrics", "metrics_read", "plan_cache", "supply_read", "supply_stock",
                   "supply_orders", "supply_roster", "supply_absences")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Whether (when, by whom, why) a document was retired, and whether it was purged."""

    retired_at: str | None
    retired_by: str | None
    retire_reason: str | None
    purged_at: str | None
    purged_by: str | None


def lifecycle(catalog: Catalog, doc_id: int) -> Lifecycle | None:
    """The document's retirement and purge, or None when there is no such document."""
    row = catalog.conn.execute(
        "SELECT retired_at, retired_by, retire_reason, purged_at, purged_by FROM documents WHERE id = ?",
        (doc_id,)).fetchone()
    return None if row is None else Lifecycle(*row)


def update_version_fields(catalog: Catalog, version_id: int, fields: dict) -> None:
    """Metadata corrections on a version (field -> value, fields of VERSION_FIELDS: anything else is refused with
    ValueError, as the names go into the statement); in the caller's transaction."""
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise ValueError(f"not a correctable field of a version: {', '.join(sorted(unknown))}")
    catalog.require_transaction("records.update_version_fields")
    values = {k: json.dumps(list(v)) if k in ("products", "parties") else json.dumps(v) if k == "sources"
              else (without_nul(v) or None) for k, v in fields.items()}
    sets = ", ".join(f"{k} = ?" for k in values)
    catalog.conn.execute(f"UPDATE versions SET {sets} WHERE id = ?", (*values.values(), version_id))
    catalog.links_stale_version(version_id)


def unindex(catalog: Catalog, doc_id: int) -> None:
    """The index no longer holds the document as it is (the next index sync writes it again); in the caller's
    transaction."""
    catalog.require_transaction("records.unindex")
    catalog.conn.execute("UPDATE documents SET indexed_version_id = NULL WHERE id = ?", (doc_id,))


def retire(catalog: Catalog, doc_id: int, by: str, reason: str, at: str) -> None:
    """In the caller's transaction."""
    catalog.require_transaction("records.retire")
    catalog.conn.execute("UPDATE documents SET retired_at = ?, retired_by = ?, retire_reason = ? WHERE id = ?",
                         (at, by, without_nul(reason), doc_id))


def restore(catalog: Catalog, doc_id: int) -> None:
    """In the caller's transaction."""
    catalog.require_transaction("records.restore")
    catalog.conn.execute("UPDATE documents SET retired_at = NULL, retired_by = NULL, retire_reason = NULL "
                         "WHERE id = ?", (doc_id,))


def purge_rows(catalog: Catalog, doc_id: int, by: str, at: str) -> None:
    """Drop a document's text, references, metrics, plan and supply rows and content-derived metadata (titles and
    e-mail subjects and senders come from the content); keep its row and versions (path, hashes, sizes, type, date,
    number). In the caller's transaction."""
    catalog.require_transaction("records.purge_rows")
    for table in _CONTENT_TABLES:
        catalog.conn.execute(f"DELETE FROM {table} WHERE version_id IN (SELECT id FROM versions WHERE document_id = ?)",
                             (doc_id,))
    catalog.conn.execute("UPDATE versions SET title = NULL, meta = '{}', parties = '[]' WHERE document_id = ?",
                         (doc_id,))
    catalog.conn.execute("UPDATE documents SET purged_at = ?, purged_by = ? WHERE id = ?", (at, by, doc_id))


def sha_in_use(catalog: Catalog, sha256: str) -> bool:
    """Whether a document that is not purged still has a version with these bytes. Before deleting them, ask
    under the archive's ingest lock (dms.records.purge): an ingest may be about to record them again."""
    return catalog.conn.execute(
        "SELECT 1 FROM versions v JOIN documents d ON d.id = v.document_id "
        "WHERE v.sha256 = ? AND d.purged_at IS NULL LIMIT 1", (sha256,)).fetchone() is not None
