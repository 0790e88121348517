"""What the benchmarks (bench/) read and write in the catalog, so that they too go through the door: plain
ids, texts and counts, and the bulk load of a synthetic archive. Nothing of dms itself calls these."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dms.catalog.db import Catalog


def document_ids(catalog: Catalog) -> list[int]:
    """Every catalogued document but the byte-for-byte copies (attachments and retired ones included)."""
    return [r[0] for r in catalog.conn.execute("SELECT id FROM documents WHERE duplicate_of IS NULL")]


def document_total(catalog: Catalog) -> int:
    """Every row of the documents table (copies, attachments and retired ones included)."""
    return catalog.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]


def any_document_id(catalog: Catalog) -> int | None:
    row = catalog.conn.execute("SELECT id FROM documents").fetchone()
    return row[0] if row else None


def page_characters(catalog: Catalog) -> int:
    """The characters of every page's text, added up."""
    return catalog.conn.execute("SELECT SUM(length(text)) FROM pages").fetchone()[0] or 0


def page_texts(catalog: Catalog, limit: int) -> Iterator[str]:
    """The text of the first `limit` pages (in the table's order)."""
    for (text,) in catalog.conn.execute("SELECT text FROM pages LIMIT ?", (limit,)):
        yield text


def load_synthetic(catalog: Catalog, documents: Sequence[tuple], versions: Sequence[tuple], pages: Sequence[tuple],
                   refs: Sequence[tuple]) -> None:
    """Bulk-load a synthetic archive in one transaction, foreign keys off while it loads (documents and versions
    refer to each other). Rows: documents (id, path, name, current_version_id, created_at); versions (id,
    document_id, seq, sha256, size, mtime_ns, ingested_at, status, kind, extractor, title, doc_type, doc_date,
    number, revision, products, parties); pages (version_id, page_no, text); refs (version_id, family, number,
    revision, page, offset, snippet)."""
    conn = catalog.conn
    postgresql = catalog.dialect == "postgresql"
    if not postgresql:
        conn.execute("PRAGMA foreign_keys=OFF")
    try:
        with catalog.transaction():
            if postgresql:  # the documents <-> versions keys are checked at COMMIT
                conn.execute("SET CONSTRAINTS ALL DEFERRED")
            conn.executemany("INSERT INTO documents (id, path, name, current_version_id, created_at) "
                             "VALUES (?,?,?,?,?)", documents)
            conn.executemany(
                "INSERT INTO versions (id, document_id, seq, sha256, size, mtime_ns, ingested_at, status, kind, "
                "extractor, title, doc_type, doc_date, number, revision, products, parties) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", versions)
            conn.executemany("INSERT INTO pages (version_id, page_no, text) VALUES (?,?,?)", pages)
            conn.executemany('INSERT INTO refs (version_id, family, number, revision, page, "offset", snippet) '
                             "VALUES (?,?,?,?,?,?,?)", refs)
            if postgresql:  # ids were given: the next ones the sequences give come after them
                for table in ("documents", "versions"):
                    conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
    finally:
        if not postgresql:
            conn.execute("PRAGMA foreign_keys=ON")
