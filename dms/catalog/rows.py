"""The shapes the catalog hands out for documents and versions, and how a row becomes one.

Catalog modules select documents with `DOCUMENTS` (the document's columns, then its current version's) and
turn the rows into `DocumentRow`s with `documents`; nothing outside dms/catalog/ sees a row or a column list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dms.catalog.db import Catalog


@dataclass(frozen=True, slots=True)
class KnownFile:
    doc_id: int
    size: int
    mtime_ns: int | None
    sha256: str


@dataclass(frozen=True, slots=True)
class VersionRow:
    id: int
    document_id: int
    seq: int
    sha256: str
    size: int
    mtime_ns: int | None
    ingested_at: str
    status: str
    kind: str | None
    extractor: str | None
    title: str | None
    doc_type: str | None
    doc_date: str | None
    date_source: str | None
    number: str | None
    revision: str | None
    products: tuple[str, ...]
    parties: tuple[str, ...]
    refs: tuple[str, ...]
    meta: dict
    page_count: int
    sources: dict  # field -> where its value came from (dms.ingest.metadata), "hand" for corrections


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    path: str
    name: str
    parent_id: int | None
    duplicate_of: int | None
    indexed_version_id: int | None
    created_at: str
    version: VersionRow


VERSION_COLS = (
    "v.id, v.document_id, v.seq, v.sha256, v.size, v.mtime_ns, v.ingested_at, v.status, v.kind, v.extractor, "
    "v.title, v.doc_type, v.doc_date, v.date_source, v.number, v.revision, v.products, v.parties, v.refs, "
    "v.meta, v.page_count, v.sources"
)
DOC_COLS = "d.id, d.path, d.name, d.parent_id, d.duplicate_of, d.indexed_version_id, d.created_at"
# documents `d` joined to their current version `v`: a statement goes on with WHERE ... ORDER BY
DOCUMENTS = f"SELECT {DOC_COLS}, {VERSION_COLS} FROM documents d JOIN versions v ON v.id = d.current_version_id"


def version_from_row(row) -> VersionRow:
    vals = list(row)
    for i in (16, 17, 18):
        vals[i] = tuple(json.loads(vals[i]))
    vals[19] = json.loads(vals[19])
    vals[21] = json.loads(vals[21] or "{}")
    return VersionRow(*vals)


def document_from_row(row) -> DocumentRow:
    return DocumentRow(*row[:7], version=version_from_row(row[7:]))


def documents(catalog: Catalog, statement: str, params: tuple = ()) -> list[DocumentRow]:
    """The documents a statement of the catalog's own modules selects. It must start with `DOCUMENTS` (the
    catalog's own select): this runs no other statement, so it is no way around the door (and modules outside
    dms/catalog/ may not import dms.catalog.rows: tests/test_one_door.py)."""
    if not statement.startswith(DOCUMENTS):
        raise ValueError("rows.documents runs only the catalog's DOCUMENTS select, with its own conditions")
    return [document_from_row(r) for r in catalog.conn.execute(statement, params)]
