"""What the cross-reference graph is built from, counted: it changes whenever the graph may."""

from __future__ import annotations

import sqlite3


def graph_inputs(conn: sqlite3.Connection, rewrite_actions: tuple[str, ...]) -> tuple:
    """Versions, documents, duplicates, manual links, retired/purged documents, and the audit entries of
    the actions that rewrite metadata or references in place (`rewrite_actions`)."""
    marks = ", ".join("?" for _ in rewrite_actions)
    return tuple(conn.execute(
        "SELECT (SELECT MAX(id) FROM versions), (SELECT COUNT(*) FROM documents), "
        "(SELECT COUNT(*) FROM documents WHERE duplicate_of IS NOT NULL), (SELECT MAX(id) FROM manual_links), "
        "(SELECT COUNT(*) FROM manual_links WHERE removed_at IS NOT NULL), "
        "(SELECT COUNT(*) FROM documents WHERE retired_at IS NOT NULL OR purged_at IS NOT NULL), "
        f"(SELECT COUNT(*) FROM audit_log WHERE action IN ({marks}))", rewrite_actions,
    ).fetchone())
