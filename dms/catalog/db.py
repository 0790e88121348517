"""Catalog access: the Catalog, the one door to the system of record.

Every SQL statement of dms lives in dms/catalog/: the documents, versions, pages, references and manual links
here, and one module per other aggregate (matters, records, metrics, intake, health, ...), each a set of
functions taking a Catalog. Nothing outside dms/catalog/ holds SQL or the connection (tests/test_one_door.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from dms.catalog import driver, health
from dms.catalog.rows import (  # noqa: F401 - KnownFile, DocumentRow and VersionRow are the shapes callers import
    DOC_COLS,
    DOCUMENTS,
    VERSION_COLS,
    DocumentRow,
    KnownFile,
    VersionRow,
    document_from_row,
    documents,
    version_from_row,
)
from dms.errors import CatalogDamaged, CatalogError, NotFound
from dms.model import Extraction, IndexRecord, Problem, Reference

LIVE = "retired_at IS NULL AND purged_at IS NULL"  # a document neither retired nor purged
MANUAL_LINK_KEYS = ("id", "source", "target", "type", "reason", "created_by", "created_at", "removed_by",
                    "removed_at", "removal_reason")


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def without_nul(value):
    """Text without NUL characters (PostgreSQL's text cannot hold them; a file's title or text may, and so may what
    people type): other values as they are. Free text people write is stored without them on both catalogs."""
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


# Queries run once per ingested file; tests check their plans never scan the documents table.
HOLDERS_OF_SHA = (
    "SELECT d.id FROM documents d JOIN versions v ON v.id = d.current_version_id WHERE v.sha256 = ? ORDER BY d.id"
)
HELD_ELSEWHERE = (
    "SELECT 1 FROM documents d JOIN versions v ON v.id = d.current_version_id "
    "WHERE v.sha256 = ? AND d.id != ? LIMIT 1"
)
VERSION_WITH_SHA = "SELECT id FROM versions WHERE sha256 = ? ORDER BY id LIMIT 1"
PER_FILE_QUERIES = (HOLDERS_OF_SHA, HELD_ELSEWHERE, VERSION_WITH_SHA)
# A read transaction seeing one moment of the catalog (Catalog.snapshot): SQLite's (in WAL mode) lasts from its
# first read to its end; PostgreSQL's default (READ COMMITTED) would see each statement's own moment.
SNAPSHOT = {"sqlite": "BEGIN DEFERRED", "postgresql": "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"}


def is_server_url(where: object) -> bool:
    """Whether a catalog location names a PostgreSQL server (DMS_DATABASE_URL) rather than a SQLite file."""
    return isinstance(where, str) and where.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def open_catalog(where: Path | str) -> Catalog:
    """The catalog at a SQLite file path or a PostgreSQL URL (postgresql://…), brought to the current schema."""
    if is_server_url(where):
        from dms.catalog import pgdriver, upgrade

        conn = pgdriver.Connection(str(where))
        try:
            upgrade.postgresql(conn)
        except BaseException:
            conn.close()
            raise
        return Catalog(conn)
    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=driver.BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False,
                           factory=driver.Connection)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        from dms.catalog import upgrade

        upgrade.sqlite(conn, path)
    except CatalogError as exc:
        conn.close()
        if isinstance(exc, CatalogDamaged) and exc.__cause__ is not None:
            raise health.damaged(exc.__cause__, path) from None  # the message names the file
        raise
    except BaseException:
        conn.close()
        raise
    return Catalog(conn)


class Catalog:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.dialect: str = conn.dialect  # "sqlite" or "postgresql": the few statements that differ ask
        self._savepoints = 0  # how deep `savepoint()` parts are nested now (each names its own)
        self._reading = False  # inside `snapshot()`: a read-only transaction a write must not join

    def close(self) -> None:
        self.conn.close()

    def ping(self) -> None:
        """Read the catalog once: raises if it cannot be read (the web's health check)."""
        self.conn.execute("SELECT 1").fetchone()

    def lost(self) -> bool:
        """Whether the connection is gone for good (PostgreSQL: the server closed it): open the catalog again."""
        return self.conn.lost

    def require_transaction(self, what: str) -> None:
        """Refuse to go on outside a transaction: `what` runs inside the caller's (`catalog.transaction()`)."""
        if not self.conn.in_transaction:
            raise RuntimeError(f"{what} must run inside the caller's transaction (catalog.transaction()); none is open")

    @contextmanager
    def transaction(self, wait: float | None = None) -> Iterator[None]:
        """One write transaction; inside another it joins it (commits or rolls back with the outer one). Driver
        errors arrive as dms errors (CatalogBusy, DuplicateKey, CatalogDamaged, CatalogError: dms.catalog.driver).
        `wait`: seconds to wait for another process's write lock, instead of the 30 s busy timeout."""
        if self.conn.in_transaction:
            if self._reading:
                raise RuntimeError("a write cannot join a snapshot() (read-only, no write lock): write outside it")
            yield
            return
        try:
            self.conn.begin_write(wait)
        except BaseException:  # PostgreSQL: the lock not granted in time, after BEGIN
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # SQLite may have ended it already (FULL, IOERR, BUSY): keep the real error
                self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the caller's transaction that may fail alone: an error inside undoes only what the part
        wrote, then goes on to the caller, whose transaction stays usable (catch the error there, e.g. a
        DuplicateKey, and carry on). PostgreSQL needs this: any failed statement aborts the whole transaction
        otherwise. Outside a transaction it opens one (`transaction()`), which the part then is."""
        if not self.conn.in_transaction:
            with self.transaction():
                yield
            return
        self._savepoints += 1
        name = f"dms_part_{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # SQLite may have ended the whole transaction already (FULL, IOERR)
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        finally:
            self._savepoints -= 1
        self.conn.execute(f"RELEASE SAVEPOINT {name}")

    @property
    def reading(self) -> bool:
        """Whether a snapshot() is open: reads only, no write may join it."""
        return self._reading

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that all see the catalog as one moment left it, whatever other processes commit meanwhile (a
        check that reads a table and then another, or a log and then its head): a read-only transaction that
        takes no lock, so writers never wait for it. Inside a transaction it is part of that one."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute(SNAPSHOT[self.dialect])
        self._reading = True
        try:
            yield
        finally:
            self._reading = False
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")  # it wrote nothing

    # -- ingest ---------------------------------------------------------------------------

    def known_files(self) -> dict[str, KnownFile]:
        """Every top-level source path with the size, mtime and hash of its current version."""
        rows = self.conn.execute(
            "SELECT d.path, d.id, v.size, v.mtime_ns, v.sha256 FROM documents d "
            "JOIN versions v ON v.id = d.current_version_id WHERE d.parent_id IS NULL"
        )
        return {path: KnownFile(doc_id, size, mtime, sha) for path, doc_id, size, mtime, sha in rows}

    def ensure_document(self, path: str, name: str, parent_id: int | None = None) -> tuple[int, bool]:
        """The document at this path: (id, True if this call created it)."""
        row = self.conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
        if row:
            return row[0], False
        (doc_id,) = self.conn.execute(
            "INSERT INTO documents (path, name, parent_id, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (path, name, parent_id, utcnow()),
        ).fetchone()
        return doc_id, True

    def current_sha(self, doc_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT v.sha256 FROM documents d JOIN versions v ON v.id = d.current_version_id WHERE d.id = ?",
            (doc_id,),
        ).fetchone()
        return row[0] if row else None

    def extracted_version_with_sha(self, sha256: str) -> int | None:
        """A version whose bytes are these and whose extraction can be reused."""
        row = self.conn.execute(VERSION_WITH_SHA, (sha256,)).fetchone()
        return row[0] if row else None

    def add_version(self, doc_id: int, sha256: str, size: int, mtime_ns: int | None, ex: Extraction) -> int:
        """Record a new current version of a document with its text, metadata and problems."""
        now = utcnow()
        values = (  # seq: the document's next, counted by the INSERT itself (one statement fewer per file)
            doc_id, doc_id, sha256, size, mtime_ns, now, ex.status, ex.kind, ex.extractor, ex.title,
            ex.doc_type, ex.doc_date, ex.date_source, ex.number, ex.revision, json.dumps(list(ex.products)),
            json.dumps(list(ex.parties)), json.dumps(list(ex.refs)), json.dumps(ex.meta, default=str),
            len(ex.pages), json.dumps(ex.sources, default=str),
        )
        pages = enumerate(ex.pages, start=1)
        if self.dialect == "postgresql":  # its text cannot hold NUL: a file's own title or text may
            values = tuple(without_nul(v) for v in values)
            pages = ((n, without_nul(text)) for n, text in pages)
        (vid,) = self.conn.execute(
            "INSERT INTO versions (document_id, seq, sha256, size, mtime_ns, ingested_at, status, kind, extractor, "
            "title, doc_type, doc_date, date_source, number, revision, products, parties, refs, meta, page_count, "
            "sources) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE document_id = ?), "
            "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            values,
        ).fetchone()
        self.conn.executemany(  # page by page: SQLite copies one page's text at a time
            "INSERT INTO pages (version_id, page_no, text) VALUES (?, ?, ?)",
            ((vid, n, text) for n, text in pages),
        )
        if ex.ocr_pages:
            self.conn.executemany("UPDATE pages SET ocr = 'needed' WHERE version_id = ? AND page_no = ?",
                                  [(vid, n) for n in ex.ocr_pages])
        refs = [(vid, r.family, r.number, r.revision, r.page, r.offset, r.snippet) for r in ex.references]
        problems = [(vid, p.kind, p.severity, p.reason, now) for p in ex.problems]
        if self.dialect == "postgresql":
            refs = [tuple(without_nul(v) for v in row) for row in refs]
            problems = [tuple(without_nul(v) for v in row) for row in problems]
        self.conn.executemany(
            'INSERT INTO refs (version_id, family, number, revision, page, "offset", snippet) VALUES (?,?,?,?,?,?,?)',
            refs,
        )
        self.conn.executemany(
            "INSERT INTO problems (version_id, kind, severity, reason, created_at) VALUES (?, ?, ?, ?, ?)",
            problems,
        )
        self.conn.execute(
            "UPDATE documents SET current_version_id = ?, pending_sha = NULL WHERE id = ?", (vid, doc_id)
        )
        return vid

    def set_pending(self, doc_id: int, sha256: str) -> None:
        self.conn.execute("UPDATE documents SET pending_sha = ? WHERE id = ?", (sha256, doc_id))

    def pending(self) -> list[tuple[int, str, str, str]]:
        """(doc_id, path, name, sha256) of stored bytes a killed run did not get to extract."""
        return list(self.conn.execute(
            "SELECT id, path, name, pending_sha FROM documents WHERE pending_sha IS NOT NULL ORDER BY id"
        ))

    def is_current_elsewhere(self, sha256: str, doc_id: int) -> bool:
        return self.conn.execute(HELD_ELSEWHERE, (sha256, doc_id)).fetchone() is not None

    def copy_version(self, doc_id: int, source_version_id: int, size: int, mtime_ns: int | None) -> int:
        """A new version with the same bytes as an extracted one: reuse its text and metadata."""
        src = self.version(source_version_id)
        ex = Extraction(
            status=src.status, kind=src.kind, extractor=src.extractor, pages=self.pages(source_version_id),
            title=src.title, doc_type=src.doc_type or "other", doc_date=src.doc_date, date_source=src.date_source,
            number=src.number, revision=src.revision, products=src.products, parties=src.parties, refs=src.refs,
            references=self.references(source_version_id), meta=src.meta, sources=src.sources,
            problems=tuple(self._problems_of(source_version_id)),
        )
        vid = self.add_version(doc_id, src.sha256, size, mtime_ns, ex)
        self.conn.execute(  # where each page's text came from, and any OCR still to do
            "UPDATE pages SET source = s.source, ocr = s.ocr, ocr_confidence = s.ocr_confidence FROM pages s "
            "WHERE s.version_id = ? AND s.page_no = pages.page_no AND pages.version_id = ?",
            (source_version_id, vid),
        )
        return vid

    def _problems_of(self, version_id: int):
        for kind, severity, reason in self.conn.execute(
            "SELECT kind, severity, reason FROM problems WHERE version_id = ? ORDER BY id", (version_id,)
        ):
            yield Problem(kind, reason, severity)

    def touch_mtime(self, doc_id: int, mtime_ns: int) -> None:
        """Same bytes, new mtime: remember it so the next run skips the hash."""
        self.conn.execute(
            "UPDATE versions SET mtime_ns = ? WHERE id = (SELECT current_version_id FROM documents WHERE id = ?)",
            (mtime_ns, doc_id),
        )

    def refresh_duplicates(self, shas: set[str]) -> int:
        """For each hash, the oldest document holding it is canonical; the others are its duplicates."""
        marked = 0
        for sha in shas:
            ids = [r[0] for r in self.conn.execute(HOLDERS_OF_SHA, (sha,))]
            if not ids:
                continue
            cur = self.conn.execute(
                "UPDATE documents SET duplicate_of = NULL WHERE id = ? AND duplicate_of IS NOT NULL", (ids[0],)
            )
            changed = [ids[0]] if cur.rowcount else []
            for dup in ids[1:]:
                cur = self.conn.execute("UPDATE documents SET duplicate_of = ? WHERE id = ? "
                                        "AND duplicate_of IS DISTINCT FROM ?", (ids[0], dup, ids[0]))
                changed += [dup] if cur.rowcount else []
                marked += 1
            self.links_stale(changed)
        return marked

    def links_stale(self, doc_ids: list[int]) -> None:
        """These documents' facts were rewritten in place (no new version, no audit entry of their own): their
        graph links are derived again by the next sync (dms.graph.sync reads graph_dirty)."""
        self.conn.executemany("INSERT INTO graph_dirty (doc_id) VALUES (?) ON CONFLICT (doc_id) DO NOTHING",
                              [(i,) for i in doc_ids])

    def links_stale_version(self, version_id: int) -> None:
        """As links_stale, for the document of this version."""
        self.conn.execute("INSERT INTO graph_dirty (doc_id) SELECT document_id FROM versions WHERE id = ? "
                          "ON CONFLICT (doc_id) DO NOTHING", (version_id,))

    # -- index bookkeeping ----------------------------------------------------------------------

    def index_work(self) -> tuple[list[int], list[int]]:
        """(documents whose current version is not in the index, documents to remove from it)."""
        stale = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM documents WHERE duplicate_of IS NULL AND current_version_id IS NOT NULL "
                f"AND {LIVE} AND indexed_version_id IS DISTINCT FROM current_version_id ORDER BY id"
            )
        ]
        gone = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM documents WHERE indexed_version_id IS NOT NULL "
                f"AND (duplicate_of IS NOT NULL OR NOT ({LIVE}))"
            )
        ]
        return stale, gone

    def document_count(self) -> int:
        """Every document row (copies, attachments, retired and purged included): an upper bound on any result."""
        return self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def duplicate_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT id FROM documents WHERE duplicate_of IS NOT NULL")}

    def is_duplicate(self, doc_id: int) -> bool:
        row = self.conn.execute("SELECT duplicate_of FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return bool(row and row[0] is not None)

    def mark_indexed(self, entries: list[tuple[int, int | None]]) -> None:
        """Record (doc_id, version_id or None) pairs as what the index now holds."""
        with self.transaction():
            self.conn.executemany(
                "UPDATE documents SET indexed_version_id = ? WHERE id = ?", [(v, d) for d, v in entries]
            )

    def set_indexed_exactly(self, entries: dict[int, int]) -> None:
        """After a rebuild: the index holds exactly these doc_id -> version_id pairs."""
        with self.transaction():
            self.conn.execute("UPDATE documents SET indexed_version_id = NULL")
            self.conn.executemany(
                "UPDATE documents SET indexed_version_id = ? WHERE id = ?", [(v, d) for d, v in entries.items()]
            )

    def expected_index(self) -> dict[int, int]:
        """doc_id -> version_id that a consistent index holds."""
        return dict(
            self.conn.execute(
                "SELECT id, current_version_id FROM documents WHERE duplicate_of IS NULL "
                f"AND current_version_id IS NOT NULL AND {LIVE}"
            )
        )

    def index_records(self, doc_ids: list[int] | None = None, batch: int = 200) -> Iterator[IndexRecord]:
        """Current versions as index records, streamed so memory stays bounded."""
        if doc_ids is None:
            doc_ids = list(self.expected_index())
        for start in range(0, len(doc_ids), batch):
            chunk = doc_ids[start : start + batch]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"{DOCUMENTS} WHERE d.id IN ({marks}) ORDER BY d.id",
                chunk,
            ).fetchall()
            for row in rows:
                doc = document_from_row(row)
                yield self.index_record(doc)

    def index_record(self, doc: DocumentRow) -> IndexRecord:
        from dms.catalog.parties import canonical  # parties renamed or merged by hand (dms.parties)

        v = doc.version
        return IndexRecord(
            doc_id=doc.id, version_id=v.id, title=v.title or doc.name, path=doc.path, name=doc.name,
            doc_type=v.doc_type or "other", date=v.doc_date, products=v.products, parties=canonical(self, v.parties),
            number=v.number, revision=v.revision, refs=v.refs, pages=self.pages(v.id),
        )

    # -- reading ----------------------------------------------------------------------------

    def version(self, version_id: int) -> VersionRow:
        row = self.conn.execute(f"SELECT {VERSION_COLS} FROM versions v WHERE v.id = ?", (version_id,)).fetchone()
        if not row:
            raise NotFound(f"no version {version_id}")
        return version_from_row(row)

    def versions(self, doc_id: int) -> list[VersionRow]:
        rows = self.conn.execute(
            f"SELECT {VERSION_COLS} FROM versions v WHERE v.document_id = ? ORDER BY v.seq", (doc_id,)
        )
        return [version_from_row(r) for r in rows]

    def graph_documents(self) -> list[DocumentRow]:
        """Every document with a current version, not retired or purged: the nodes of the cross-reference graph."""
        return documents(self, f"{DOCUMENTS} WHERE d.retired_at IS NULL AND d.purged_at IS NULL ORDER BY d.id")

    def all_references(self) -> Iterator[tuple[int, Reference]]:
        """(doc_id, reference) for the current version of every document."""
        rows = self.conn.execute(
            'SELECT d.id, r.family, r.number, r.revision, r.page, r."offset", r.snippet FROM refs r '
            'JOIN documents d ON d.current_version_id = r.version_id ORDER BY d.id, r.page, r."offset"'
        )
        for doc_id, *ref in rows:
            yield doc_id, Reference(*ref)

    def add_manual_link(self, source: str, target: str, kind: str, reason: str, user: str) -> int:
        with self.transaction():
            (link_id,) = self.conn.execute(
                "INSERT INTO manual_links (source, target, type, reason, created_by, created_at) VALUES (?,?,?,?,?,?) "
                "RETURNING id",
                (source, target, kind, without_nul(reason), user, utcnow()),
            ).fetchone()
        return link_id

    def remove_manual_link(self, link_id: int, reason: str, user: str) -> None:
        with self.transaction():
            row = self.conn.execute("SELECT removed_at FROM manual_links WHERE id = ?", (link_id,)).fetchone()
            if row is None:
                raise NotFound(f"there is no link {link_id}")
            if row[0] is not None:
                raise NotFound(f"link {link_id} was already removed on {row[0]}")
            self.conn.execute(
                "UPDATE manual_links SET removed_by = ?, removed_at = ?, removal_reason = ? WHERE id = ?",
                (user, utcnow(), without_nul(reason), link_id),
            )

    def manual_links(self, include_removed: bool = False) -> list[dict]:
        where = "" if include_removed else "WHERE removed_at IS NULL"
        cur = self.conn.execute(f"SELECT {', '.join(MANUAL_LINK_KEYS)} FROM manual_links {where} ORDER BY id")
        return [dict(zip(MANUAL_LINK_KEYS, row)) for row in cur]

    def references(self, version_id: int) -> tuple[Reference, ...]:
        rows = self.conn.execute(
            'SELECT family, number, revision, page, "offset", snippet FROM refs WHERE version_id = ? '
            'ORDER BY page, "offset"',
            (version_id,),
        )
        return tuple(Reference(*row) for row in rows)

    def pages(self, version_id: int) -> tuple[str, ...]:
        rows = self.conn.execute("SELECT text FROM pages WHERE version_id = ? ORDER BY page_no", (version_id,))
        return tuple(r[0] for r in rows)

    def document(self, doc_id: int) -> DocumentRow:
        row = self.conn.execute(f"{DOCUMENTS} WHERE d.id = ?", (doc_id,)).fetchone()
        if not row:
            raise NotFound(f"no document with id {doc_id}")
        return document_from_row(row)

    def document_at_path(self, path: str) -> DocumentRow | None:
        """The document recorded from this path (the catalog's text form, `dms.display.to_text`), if any."""
        found = documents(self, f"{DOCUMENTS} WHERE d.path = ?", (path,))
        return found[0] if found else None

    def documents_with_sha_prefix(self, prefix: str) -> list[DocumentRow]:
        """The documents (copies left out) whose current version's SHA-256 starts with this hex prefix."""
        prefix = prefix.lower()
        if not all(c in "0123456789abcdef" for c in prefix):
            return []
        return documents(self, f"{DOCUMENTS} WHERE v.sha256 LIKE ? AND d.duplicate_of IS NULL ORDER BY d.id",
                         (prefix + "%",))

    def all_documents(self) -> list[DocumentRow]:
        """Every document with a current version (copies, attachments, retired and purged included), by id."""
        return documents(self, f"{DOCUMENTS} ORDER BY d.id")

    def recent_documents(self, limit: int = 10) -> list[DocumentRow]:
        """The documents whose current version was ingested last (copies left out)."""
        rows = self.conn.execute(
            f"SELECT {DOC_COLS}, {VERSION_COLS} FROM versions v JOIN documents d ON d.current_version_id = v.id "
            "WHERE d.duplicate_of IS NULL ORDER BY v.id DESC LIMIT ?",
            (limit,),
        )
        return [document_from_row(r) for r in rows]

    def same_number(self, number: str) -> list[DocumentRow]:
        """Every document carrying this document number (its revisions), copies left out."""
        return documents(self, f"{DOCUMENTS} WHERE v.number = ? AND d.duplicate_of IS NULL ORDER BY d.id", (number,))

    def duplicates_of(self, doc_id: int) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM documents WHERE duplicate_of = ?", (doc_id,))]

    def attachments_of(self, doc_id: int) -> list[tuple[int, str]]:
        return list(self.conn.execute("SELECT id, name FROM documents WHERE parent_id = ? ORDER BY id", (doc_id,)))

    def problems(self, include_old: bool = False, doc_id: int | None = None) -> list[dict]:
        conditions = ([] if include_old else ["v.id = d.current_version_id"]) + (
            ["d.id = ?"] if doc_id is not None else [])
        where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
        rows = self.conn.execute(
            "SELECT d.id, d.path, v.sha256, p.kind, p.severity, p.reason, p.created_at FROM problems p "
            f"JOIN versions v ON v.id = p.version_id JOIN documents d ON d.id = v.document_id {where} "
            "ORDER BY p.id",
            () if doc_id is None else (doc_id,),
        )
        keys = ("id", "path", "sha256", "kind", "severity", "reason", "at")
        found = [dict(zip(keys, r)) for r in rows]
        if doc_id is None:  # and the paths that never became a version (unreadable, links not followed, FIFOs)
            from dms.catalog import intake

            found += intake.listing(self)
        return found

    def all_version_blobs(self) -> Iterator[tuple[str, int, str]]:
        """(sha256, size, one source path) for every distinct stored original."""
        yield from self.conn.execute(
            "SELECT v.sha256, v.size, MIN(d.path) FROM versions v JOIN documents d ON d.id = v.document_id "
            "WHERE d.purged_at IS NULL GROUP BY v.sha256, v.size ORDER BY v.sha256"
        )

    def stats(self) -> dict:
        q = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        by_type = dict(
            self.conn.execute(
                "SELECT COALESCE(v.doc_type, 'other'), COUNT(*) FROM documents d "
                "JOIN versions v ON v.id = d.current_version_id WHERE d.duplicate_of IS NULL GROUP BY 1 ORDER BY 1"
            )
        )
        by_status = dict(
            self.conn.execute(
                "SELECT v.status, COUNT(*) FROM documents d JOIN versions v ON v.id = d.current_version_id GROUP BY 1"
            )
        )
        return {
            "documents": q("SELECT COUNT(*) FROM documents WHERE duplicate_of IS NULL"),
            "duplicates": q("SELECT COUNT(*) FROM documents WHERE duplicate_of IS NOT NULL"),
            "attachments": q("SELECT COUNT(*) FROM documents WHERE parent_id IS NOT NULL"),
            "versions": q("SELECT COUNT(*) FROM versions"),
            "pages": q("SELECT COUNT(*) FROM pages"),
            "stored_bytes": q(
                "SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT sha256, size FROM versions) AS blobs"),
            "problems": q(
                "SELECT COUNT(*) FROM problems p JOIN documents d ON d.current_version_id = p.version_id"
            ) + q("SELECT COUNT(*) FROM intake_problems"),
            "by_type": by_type,
            "by_status": by_status,
        }
