"""The catalog's side of explaining, re-deriving and reviewing metadata: current versions streamed in batches,
the hand corrections on record, and the documents whose number, revision or date is missing or doubtful."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dms.auditactions import METADATA_EDITED as EDITED  # what records.edit writes
from dms.catalog import dialect
from dms.catalog.db import LIVE, Catalog
from dms.catalog.rows import DOCUMENTS, DocumentRow, document_from_row


@dataclass(frozen=True, slots=True)
class HandEdit:
    """One hand correction of a document's metadata, as the audit log holds it."""

    user: str
    at: str
    details: dict  # {"reason", "before", "after", "version"}


def current_documents(catalog: Catalog, batch: int = 500) -> Iterator[list[DocumentRow]]:
    """Every document that still has its text (not purged), current version, in batches by id: memory stays
    bounded whatever the archive's size (pages are read one document at a time by the caller)."""
    last = 0
    while True:
        rows = catalog.conn.execute(
            f"{DOCUMENTS} "
            "WHERE d.purged_at IS NULL AND d.id > ? ORDER BY d.id LIMIT ?", (last, batch)).fetchall()
        if not rows:
            return
        docs = [document_from_row(r) for r in rows]
        last = docs[-1].id
        yield docs


def count_current(catalog: Catalog) -> int:
    """How many documents `current_documents` gives."""
    return catalog.conn.execute("SELECT COUNT(*) FROM documents WHERE purged_at IS NULL "
                                "AND current_version_id IS NOT NULL").fetchone()[0]


def hand_edits(catalog: Catalog, doc_ids: Iterable[int] | None = None) -> dict[int, list[HandEdit]]:
    """doc id -> its hand corrections, oldest first (of these documents, or of all: there are few)."""
    found: dict[int, list[HandEdit]] = {}
    if doc_ids is None:
        rows = catalog.conn.execute('SELECT subject, "user", at, details FROM audit_log WHERE action = ? ORDER BY id',
                                    (EDITED,))
    else:
        subjects = [f"doc:{i}" for i in doc_ids]
        if not subjects:
            return found
        rows = catalog.conn.execute(
            'SELECT subject, "user", at, details FROM audit_log WHERE action = ? '
            f"AND subject IN ({','.join('?' * len(subjects))}) ORDER BY id", (EDITED, *subjects))
    for subject, user, at, details in rows:
        kind, _, ident = subject.partition(":")
        if kind == "doc" and ident.isdigit():
            found.setdefault(int(ident), []).append(HandEdit(user, at, json.loads(details)))
    return found


def last_entry(catalog: Catalog) -> int:
    """The id of the audit log's latest entry (0: none): has anything (a correction, a purge) been done since?"""
    return catalog.conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]


def still_current(catalog: Catalog, docs: list[DocumentRow]) -> list[DocumentRow]:
    """These documents read again, those not purged meanwhile."""
    if not docs:
        return []
    rows = catalog.conn.execute(
        f"{DOCUMENTS} "
        f"WHERE d.purged_at IS NULL AND d.id IN ({','.join('?' * len(docs))}) ORDER BY d.id", [d.id for d in docs])
    return [document_from_row(r) for r in rows]


def review_candidates(catalog: Catalog) -> Iterator[DocumentRow]:
    """Live documents (not retired, purged or a copy) read without failure whose number, revision or date is
    missing, or one of whose recorded sources is doubtful; by id, streamed."""
    doubtful = dialect.any_doubtful_source(catalog.dialect, "v.sources")  # a field's source says it is doubtful
    last = 0
    while True:
        rows = catalog.conn.execute(
            f"{DOCUMENTS} "
            f"WHERE {LIVE} AND d.duplicate_of IS NULL AND v.status = 'ok' "
            f"AND (v.number IS NULL OR v.revision IS NULL OR v.doc_date IS NULL OR {doubtful}) AND d.id > ? "
            "ORDER BY d.id LIMIT 500", (last,)).fetchall()
        if not rows:
            return
        for row in rows:
            doc = document_from_row(row)
            last = doc.id
            yield doc


def shares_by_type(catalog: Catalog) -> dict[str, tuple[int, int, int]]:
    """doc type -> (live documents read, how many have a number, how many a date): what an archive's documents
    of a type usually carry."""
    rows = catalog.conn.execute(
        "SELECT COALESCE(v.doc_type, 'other'), COUNT(*), COUNT(v.number), COUNT(v.doc_date) "
        f"FROM documents d JOIN versions v ON v.id = d.current_version_id WHERE {LIVE} "
        "AND d.duplicate_of IS NULL AND v.status = 'ok' GROUP BY 1")
    return {t: (n, numbered, dated) for t, n, numbered, dated in rows}


def numbers_with_revisions(catalog: Catalog) -> Iterator[tuple[str, int, int]]:
    """(number, live documents carrying it, how many of them with a revision)."""
    yield from catalog.conn.execute(
        "SELECT v.number, COUNT(*), COUNT(v.revision) FROM documents d "
        f"JOIN versions v ON v.id = d.current_version_id WHERE {LIVE} "
        "AND d.duplicate_of IS NULL AND v.number IS NOT NULL GROUP BY v.number")


def current_fields(catalog: Catalog, doc_ids: Iterable[int], batch: int = 500) -> Iterator[tuple[int, tuple]]:
    """(doc id, (type, date, number, revision, products, parties)) of each document's current version."""
    ids = list(doc_ids)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        rows = catalog.conn.execute(
            "SELECT d.id, v.doc_type, v.doc_date, v.number, v.revision, v.products, v.parties FROM documents d "
            f"JOIN versions v ON v.id = d.current_version_id WHERE d.id IN ({','.join('?' * len(chunk))})", chunk)
        for doc_id, doc_type, day, number, revision, products, parties in rows:
            yield doc_id, (doc_type, day, number, revision, tuple(json.loads(products)), tuple(json.loads(parties)))
