"""What the cross-reference graph is built from, counted: it changes whenever the graph may."""

from __future__ import annotations

from dms.catalog.db import Catalog


def graph_inputs(catalog: Catalog, rewrite_actions: tuple[str, ...]) -> tuple:
    """Versions, documents, duplicates, manual links, retired/purged documents, and the audit entries of
    the actions that rewrite metadata or references in place (`rewrite_actions`): a tuple of plain values."""
    marks = ", ".join("?" for _ in rewrite_actions)
    return tuple(catalog.conn.execute(
        "SELECT (SELECT MAX(id) FROM versions), (SELECT COUNT(*) FROM documents), "
        "(SELECT COUNT(*) FROM documents WHERE duplicate_of IS NOT NULL), (SELECT MAX(id) FROM manual_links), "
        "(SELECT COUNT(*) FROM manual_links WHERE removed_at IS NOT NULL), "
        "(SELECT COUNT(*) FROM documents WHERE retired_at IS NOT NULL OR purged_at IS NOT NULL), "
        f"(SELECT COUNT(*) FROM audit_log WHERE action IN ({marks}))", rewrite_actions,
    ).fetchone())


def in_write_transaction(catalog: Catalog) -> bool:
    """Whether the catalog is inside a transaction: rows read now may still be rolled back (and their ids
    given again), so nothing derived from them may be kept under a stamp that could match later."""
    return catalog.conn.in_transaction
