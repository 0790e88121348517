"""A document's text read a slice at a time: each page's length, and some characters of one page.

The database measures and cuts the text (`length`, `substr` count characters), so a page of 30 MB is never read
whole into Python to show 100,000 characters of it.
"""

from __future__ import annotations

from dms.catalog import dialect
from dms.catalog.db import Catalog


def page_lengths(catalog: Catalog, version_id: int) -> list[int]:
    """The length in characters of each page of a version, in page order."""
    rows = catalog.conn.execute("SELECT length(text) FROM pages WHERE version_id = ? ORDER BY page_no",
                                (version_id,))
    return [row[0] or 0 for row in rows]


def page_chars(catalog: Catalog, version_id: int, page: int, start: int, count: int) -> str:
    """`count` characters of page `page` (1-based) from character `start` (0-based); "" past its end."""
    row = catalog.conn.execute("SELECT substr(text, ?, ?) FROM pages WHERE version_id = ? AND page_no = ?",
                               (start + 1, count, version_id, page)).fetchone()
    return (row[0] or "") if row else ""


def pages_holding(catalog: Catalog, version_id: int, words: list[str], most: int) -> list[int]:
    """The first `most` pages whose text contains any of these (lower-case) words, searched by the database."""
    if not words:
        return []
    test = " OR ".join(dialect.contains(catalog.dialect, "lower(text)") for _ in words)
    rows = catalog.conn.execute(f"SELECT page_no FROM pages WHERE version_id = ? AND ({test}) ORDER BY page_no "
                                "LIMIT ?", (version_id, *words, most))
    return [row[0] for row in rows]
