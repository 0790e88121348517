"""The catalog's side of the learned classifier (dms.learn): which fields people corrected by hand, the labels
and first pages of documents to learn from, and writing a learned value with its provenance."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dms.auditactions import METADATA_EDITED as EDITED  # what records.edit writes
from dms.catalog import intake
from dms.catalog.db import Catalog

PROBLEM_KIND = "learned"
_LIVE_CURRENT = ("d.current_version_id IS NOT NULL AND d.duplicate_of IS NULL AND d.retired_at IS NULL "
                 "AND d.purged_at IS NULL AND v.status = 'ok'")
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Labelled:
    """A document's current version as the classifier sees it (no text)."""

    doc_id: int
    version_id: int
    doc_type: str
    products: tuple[str, ...]
    parties: tuple[str, ...]
    sources: dict


def hand_edits(catalog: Catalog, doc_ids: Iterable[int] | None = None) -> tuple[dict[int, set[str]], int]:
    """Fields corrected by hand per document (from the audit log's 'metadata edited' entries, any version),
    and the id of the latest such entry (0: none)."""
    where, params = "action = ?", [EDITED]
    wanted = None if doc_ids is None else {f"doc:{d}" for d in doc_ids}
    fields: dict[int, set[str]] = {}
    last = 0
    for entry_id, subject, details in catalog.conn.execute(
            f"SELECT id, subject, details FROM audit_log WHERE {where} ORDER BY id", params):
        last = entry_id
        if wanted is not None and subject not in wanted:
            continue
        try:
            doc_id = int(subject.split(":", 1)[1])
            after = json.loads(details).get("after") or {}
        except (ValueError, IndexError, AttributeError):
            continue
        fields.setdefault(doc_id, set()).update(after)
    return fields, last


def last_edit(catalog: Catalog) -> int:
    """The id of the latest hand correction in the audit log (0: none yet)."""
    return catalog.conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE action = ?", (EDITED,)).fetchone()[0]


def document_count(catalog: Catalog) -> int:
    """Live documents with a readable current version: the pool rule-derived examples come from."""
    return catalog.conn.execute(
        f"SELECT COUNT(*) FROM documents d JOIN versions v ON v.id = d.current_version_id WHERE {_LIVE_CURRENT}"
    ).fetchone()[0]


def _labelled(row) -> Labelled:
    return Labelled(row[0], row[1], row[2] or "other", tuple(json.loads(row[3] or "[]")),
                    tuple(json.loads(row[4] or "[]")), json.loads(row[5] or "{}"))


_LABEL_COLS = "d.id, v.id, v.doc_type, v.products, v.parties, v.sources"


def labelled(catalog: Catalog, doc_ids: Iterable[int] | None = None) -> Iterator[Labelled]:
    """Every live document's current labels (or only these documents'), by id."""
    if doc_ids is None:
        for row in catalog.conn.execute(
                f"SELECT {_LABEL_COLS} FROM documents d JOIN versions v ON v.id = d.current_version_id "
                f"WHERE {_LIVE_CURRENT} ORDER BY d.id"):
            yield _labelled(row)
        return
    ids = sorted(set(doc_ids))
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        for row in catalog.conn.execute(
                f"SELECT {_LABEL_COLS} FROM documents d JOIN versions v ON v.id = d.current_version_id "
                f"WHERE {_LIVE_CURRENT} AND d.id IN ({','.join('?' * len(chunk))}) ORDER BY d.id", chunk):
            yield _labelled(row)


def first_pages(catalog: Catalog, version_ids: Iterable[int], pages: int, chars: int) -> dict[int, tuple[str, str]]:
    """version id -> (file name, title + the first `pages` pages, each cut at `chars` characters by the catalog)."""
    ids = list(dict.fromkeys(version_ids))
    out: dict[int, tuple[str, list[str]]] = {}
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        marks = ",".join("?" * len(chunk))
        for vid, name, title in catalog.conn.execute(
                f"SELECT v.id, d.name, v.title FROM versions v JOIN documents d ON d.id = v.document_id "
                f"WHERE v.id IN ({marks})", chunk):
            out[vid] = (name or "", [title or ""])
        for vid, text in catalog.conn.execute(
                f"SELECT version_id, substr(text, 1, ?) FROM pages WHERE version_id IN ({marks}) AND page_no <= ? "
                "ORDER BY version_id, page_no", (chars, *chunk, pages)):
            if vid in out:
                out[vid][1].append(text or "")
    return {vid: (name, "\n".join(parts)) for vid, (name, parts) in out.items()}


LEARNED_FIELDS = frozenset({"doc_type", "products", "parties"})


def write_learned(catalog: Catalog, doc_id: int, version_id: int, values: dict, sources: dict) -> bool:
    """Write learned values (doc_type, products, parties) and the version's new sources, if the version is still
    the document's current one; the document waits for the index to refresh. Returns whether it was written."""
    if not set(values) <= LEARNED_FIELDS:  # the names are put into the statement: only these may be
        raise ValueError(f"learning writes only {sorted(LEARNED_FIELDS)}, not {sorted(set(values) - LEARNED_FIELDS)}")
    current = catalog.conn.execute("SELECT current_version_id FROM documents WHERE id = ?", (doc_id,)).fetchone()
    if not current or current[0] != version_id:
        return False
    encoded = {k: json.dumps(list(v)) if isinstance(v, list | tuple) else v for k, v in values.items()}
    encoded["sources"] = json.dumps(sources, default=str)
    catalog.conn.execute(f"UPDATE versions SET {', '.join(f'{k} = ?' for k in encoded)} WHERE id = ?",
                         (*encoded.values(), version_id))
    catalog.links_stale([doc_id])
    catalog.conn.execute("UPDATE documents SET indexed_version_id = NULL WHERE id = ?", (doc_id,))
    return True


def note_problem(catalog: Catalog, path: str, reason: str) -> None:
    """A problem of the learned model's files, listed by `dms problems` until the model is saved again."""
    intake.note_many(catalog, [(path, PROBLEM_KIND, "warning", reason)])


def clear_problem(catalog: Catalog, path: str) -> None:
    with catalog.transaction():
        intake.clear(catalog, [path])


def problem(catalog: Catalog, path: str) -> str | None:
    row = catalog.conn.execute("SELECT reason FROM intake_problems WHERE path = ? AND kind = ?",
                               (path, PROBLEM_KIND)).fetchone()
    return row[0] if row else None
