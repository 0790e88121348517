"""The catalog's side of settling dates: the date provenance of documents, the evidence of their folders,
and writing a document's date with its provenance (dms.ingest.settle, dms.ingest.dates)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

from dms.catalog.db import LIVE, Catalog


@dataclass(frozen=True, slots=True)
class DatedDocument:
    doc_id: int
    version_id: int
    path: str
    doc_date: str | None
    date: dict  # versions.sources["date"], {} when the version has none


def folder_of(path: str) -> str:
    """The folder a document lies in; an attachment lies in its e-mail's folder."""
    return path.split("#", 1)[0].rpartition("/")[0]


def _rows(catalog: Catalog, where: str, params: tuple) -> list[DatedDocument]:
    rows = catalog.conn.execute(
        "SELECT d.id, v.id, d.path, v.doc_date, v.sources FROM documents d "
        f"JOIN versions v ON v.id = d.current_version_id WHERE {LIVE} AND {where} ORDER BY d.id", params)
    return [DatedDocument(doc, ver, path, when, _sources(sources).get("date") or {})
            for doc, ver, path, when, sources in rows]


def _sources(text: str | None) -> dict:
    """A version's sources (field -> provenance), {} when it has none."""
    found = json.loads(text) if text else {}
    return found if isinstance(found, dict) else {}


def dated_documents(catalog: Catalog, doc_ids: Collection[int]) -> list[DatedDocument]:
    """The live documents among these ids, with the provenance of their current version's date."""
    ids = sorted(set(doc_ids))
    found: list[DatedDocument] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        found += _rows(catalog, f"d.id IN ({','.join('?' * len(chunk))})", tuple(chunk))
    return found


def in_folder(catalog: Catalog, folder: str) -> list[DatedDocument]:
    """The live documents lying directly in a folder (a range of the path index, then the subfolders left out)."""
    rows = _rows(catalog, "d.path >= ? AND d.path < ?", (folder + "/", folder + "0"))  # "0" sorts right after "/"
    return [r for r in rows if folder_of(r.path) == folder]


def set_date(catalog: Catalog, version_id: int, doc_date: str | None, date: dict) -> None:
    """Write a version's date and its provenance (sources["date"], date_source), and leave its document for
    the index to refresh. Joins the caller's transaction, or runs in one of its own (sources are read, changed
    and written back)."""
    with catalog.transaction():
        row = catalog.conn.execute("SELECT sources FROM versions WHERE id = ?", (version_id,)).fetchone()
        if row is None:
            return
        sources = {**_sources(row[0]), "date": date}
        catalog.conn.execute("UPDATE versions SET doc_date = ?, date_source = ?, sources = ? WHERE id = ?",
                             (doc_date, date.get("source"), json.dumps(sources), version_id))
        catalog.links_stale_version(version_id)  # a date orders a revision chain
        catalog.conn.execute("UPDATE documents SET indexed_version_id = NULL WHERE current_version_id = ?",
                             (version_id,))
