"""Control numbers of dispute bundles: each bundle takes the next free run of its prefix, so bundles made one
after the other never both start at DMS-000001.

A run is reserved (and kept) before the bundle is written: a bundle that fails afterwards leaves its numbers
unused, never given twice. Bundles made before this table existed count too: their first and last numbers are
in the audit log's "bundle created" entries.
"""

from __future__ import annotations

import json
import re

from dms.auditactions import BUNDLE_CREATED
from dms.catalog.db import Catalog, utcnow


def _last_in_audit(catalog: Catalog, prefix: str) -> int:
    """The highest control number of `prefix` the audit log records for a bundle."""
    pattern = re.compile(re.escape(prefix) + r"-(\d+)$")
    highest = 0
    for (details,) in catalog.conn.execute("SELECT details FROM audit_log WHERE action = ?", (BUNDLE_CREATED,)):
        try:
            last = json.loads(details).get("last")
        except (ValueError, AttributeError):
            continue
        m = pattern.match(last) if isinstance(last, str) else None
        if m:
            highest = max(highest, int(m.group(1)))
    return highest


def reserve(catalog: Catalog, prefix: str, count: int, bundle: str, by: str) -> int:
    """Reserve `count` control numbers of `prefix` for `bundle`; returns the first."""
    with catalog.transaction():
        (kept,) = catalog.conn.execute("SELECT COALESCE(MAX(last), 0) FROM bundle_controls WHERE prefix = ?",
                                       (prefix,)).fetchone()
        first = max(kept, _last_in_audit(catalog, prefix)) + 1
        catalog.conn.execute(
            "INSERT INTO bundle_controls (prefix, first, last, bundle, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (prefix, first, first + count - 1, bundle, utcnow(), by))
    return first


def issued(catalog: Catalog, prefix: str | None = None) -> list[dict]:
    """The runs given so far (of one prefix, or all), oldest first."""
    sql = "SELECT prefix, first, last, bundle, created_at, created_by FROM bundle_controls"
    rows = catalog.conn.execute(sql + (" WHERE prefix = ? ORDER BY id" if prefix else " ORDER BY id"),
                                (prefix,) if prefix else ()).fetchall()
    keys = ("prefix", "first", "last", "bundle", "created_at", "created_by")
    return [dict(zip(keys, row)) for row in rows]
