"""Legal-hold matters in the catalog: the statements dms.bulk needs to widen a matter's scope."""

from __future__ import annotations

import json

from dms.catalog.db import Catalog


def scope_of(catalog: Catalog, name: str) -> tuple[int, dict, str | None] | None:
    """(id, scope, released_at) of the matter, or None."""
    row = catalog.conn.execute("SELECT id, scope, released_at FROM matters WHERE name = ?", (name,)).fetchone()
    return None if row is None else (row[0], json.loads(row[1]), row[2])


def set_scope(catalog: Catalog, name: str, scope: dict) -> None:
    """Inside the caller's transaction."""
    catalog.conn.execute("UPDATE matters SET scope = ? WHERE name = ?", (json.dumps(scope), name))
