"""What the search index holds, counted: it changes whenever a search's answer may (a version indexed, replaced
or dropped; any audited change, such as a correction, a retirement or a merge of parties)."""

from __future__ import annotations

from dms.catalog.db import Catalog


def index_stamp(catalog: Catalog) -> tuple:
    return tuple(catalog.conn.execute(
        "SELECT COUNT(indexed_version_id), COALESCE(SUM(indexed_version_id), 0), (SELECT MAX(id) FROM audit_log) "
        "FROM documents"
    ).fetchone())
