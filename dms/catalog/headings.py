"""What names a list of documents: number, revision, title and file name of each, in one query."""

from __future__ import annotations

from dms.catalog.db import Catalog

MAX_IDS = 900  # SQLite's bound on the ? of one statement is 999 in old builds; a page of hits is far fewer


def identities(catalog: Catalog, doc_ids: list[int]) -> dict[int, dict]:
    """doc id -> {"number", "revision", "title", "name"} of its current version (unknown ids are left out)."""
    out: dict[int, dict] = {}
    ids = list(dict.fromkeys(doc_ids))
    for start in range(0, len(ids), MAX_IDS):
        chunk = ids[start:start + MAX_IDS]
        rows = catalog.conn.execute(
            "SELECT d.id, v.number, v.revision, v.title, d.name FROM documents d "
            f"JOIN versions v ON v.id = d.current_version_id WHERE d.id IN ({', '.join('?' * len(chunk))})",
            chunk)
        for doc_id, number, revision, title, name in rows:
            out[doc_id] = {"number": number, "revision": revision, "title": title, "name": name}
    return out
