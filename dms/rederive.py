"""`dms rederive`: every document's metadata and references derived again from its stored text, after a
change of the rules. Nothing is extracted again: a document's text, title and embedded metadata come from
the catalog, as they were read at ingest (or by OCR).

A field corrected by hand (`dms edit`, the web's correction form) on the current version is kept, and so is
its source ("hand"); a value the learned classifier suggested is kept while the rules still give none. The
work runs under the archive's ingest lock, in batches of BATCH documents per transaction, reading one
document's pages at a time; then the cross-document steps (dms.ingest.postpass) and the search index follow.
Each run is one audit entry (ACTION, subject "archive") with the counts and the hash of the rules file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import PurePath

from dms import audit
from dms.app import Dms
from dms.auditactions import METADATA_REDERIVED as ACTION
from dms.catalog import DocumentRow, derived, ocrwork
from dms.catalog.derived import HandEdit
from dms.ingest.metadata import Derived, derive
from dms.ingest.numbers import own_name
from dms.ingest.registry import Raw
from dms.locks import one_writer
from dms.records import EDITABLE

SUBJECT = "archive"
BATCH = 500  # documents per catalog transaction
FIELDS = ("type", "date", "number", "revision", "products", "parties")  # the derived fields, as sources name them
HAND = {"source": "hand", "page": None, "line": None, "words": None, "doubtful": None, "confidence": None}


def derive_again(dms: Dms, doc: DocumentRow) -> Derived:
    """The document's metadata as the current rules derive it from its stored text (title and embedded
    metadata included, as ingest and OCR read them; a title that is only the file name is not a title)."""
    v = doc.version
    names = (own_name(doc.path), PurePath(doc.path.split("#", 1)[-1]).name)  # what ingest titles an untitled file
    title = v.title if v.title and v.title not in names else None
    return derive(Raw(pages=list(dms.catalog.pages(v.id)), title=title, meta=dict(v.meta)), doc.path, dms.rules)


def hand_fields(edits: list[HandEdit], seq: int | None = None) -> dict[str, HandEdit]:
    """Field name -> its latest hand correction; of version `seq` only when given (a newer version's fields
    are read from its own bytes, so a correction of an older one no longer holds)."""
    latest: dict[str, HandEdit] = {}
    for edit in edits:
        version = edit.details.get("version")
        if seq is not None and version is not None and version != seq:
            continue
        for name in edit.details.get("after", {}):
            if name in EDITABLE:
                latest[name] = edit
    return latest


def edited_by_hand(dms: Dms, doc_id: int) -> set[str]:
    """The version columns corrected by hand on the document's current version (with date_source along with
    doc_date): what a derivation run must leave as they are (dms.ocr.finish, rederive)."""
    seq = dms.catalog.document(doc_id).version.seq
    edits = derived.hand_edits(dms.catalog, [doc_id]).get(doc_id, [])
    return _columns(hand_fields(edits, seq))


def _columns(fields) -> set[str]:
    kept = {EDITABLE[f] for f in fields}
    return kept | ({"date_source"} if "doc_date" in kept else set())


def _stored(doc: DocumentRow) -> dict:
    v = doc.version
    return {"type": v.doc_type, "date": v.doc_date, "number": v.number, "revision": v.revision,
            "products": tuple(v.products), "parties": tuple(v.parties)}


def _found(d: Derived) -> dict:
    return {"type": d.doc_type, "date": d.doc_date, "number": d.number, "revision": d.revision,
            "products": tuple(d.products), "parties": tuple(d.parties)}


def _empty(name: str, value) -> bool:
    return not value or (name == "type" and value == "other")


def plain(sources: dict) -> dict:
    """Sources as the catalog stores and returns them (JSON: tuples become lists)."""
    return json.loads(json.dumps(sources, default=str))


@dataclass(frozen=True, slots=True)
class Change:
    doc_id: int
    version_id: int
    values: dict  # version columns to write (dms.catalog.ocrwork.DERIVED_FIELDS)
    references: tuple
    fields: tuple[str, ...]  # which of FIELDS (and "references") changed
    before: tuple  # the stored values of FIELDS, for counting what the cross-document steps left changed


def change_of(dms: Dms, doc: DocumentRow, hand: dict[str, HandEdit]) -> Change | None:
    """What deriving the document again would change (None: nothing), keeping hand corrections and learned
    suggestions the rules still have no answer for."""
    v = doc.version
    found = derive_again(dms, doc)
    old, new = _stored(doc), _found(found)
    sources = plain(found.sources)
    for name in FIELDS:
        was = v.sources.get(name) if isinstance(v.sources.get(name), dict) else None
        if name in hand:
            new[name], sources[name] = old[name], HAND
        elif was and was.get("source") == "learned" and _empty(name, new[name]) and not _empty(name, old[name]):
            new[name], sources[name] = old[name], was
    date_source = found.date_source if new["date"] == found.doc_date and "date" not in hand else v.date_source
    changed = tuple(n for n in FIELDS if new[n] != old[n])
    refs_changed = dms.catalog.references(v.id) != tuple(found.references)
    if not changed and not refs_changed and sources == v.sources and date_source == v.date_source:
        return None
    values = {"doc_type": new["type"], "doc_date": new["date"], "date_source": date_source, "number": new["number"],
              "revision": new["revision"], "products": list(new["products"]), "parties": list(new["parties"]),
              "refs": list(found.refs), "sources": sources}
    return Change(doc.id, v.id, values, tuple(found.references),
                  changed + (("references",) if refs_changed else ()), tuple(old[n] for n in FIELDS))


@dataclass(slots=True)
class RederiveReport:
    documents: int = 0  # current documents examined
    not_read: int = 0  # left alone: their extraction failed or found no extractor (nothing was derived)
    changed: int = 0  # documents whose metadata, sources or references were written
    fields: dict = field(default_factory=lambda: dict.fromkeys((*FIELDS, "references"), 0))
    kept_by_hand: int = 0  # fields left as corrected by hand
    dry_run: bool = False
    rules: str = ""
    rules_sha256: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def rederive(dms: Dms, dry_run: bool = False, by: str | None = None,
             on_progress: Callable[[int, int], None] | None = None) -> RederiveReport:
    """Derive every current document's metadata and references again from the stored text. With `dry_run`,
    only count what would change (before the cross-document steps, which a dry run does not take)."""
    if dry_run:
        return _run(dms, True, by, on_progress)
    return _locked_run(dms, False, by, on_progress)


@one_writer  # one writer at a time: not while an ingest, OCR or another rederive runs (dms.locks)
def _locked_run(dms: Dms, dry_run: bool, by: str | None, on_progress) -> RederiveReport:
    return _run(dms, dry_run, by, on_progress)


def _changes(dms: Dms, docs: list[DocumentRow]) -> tuple[list[Change], int]:
    """What deriving these documents again changes, and how many fields corrected by hand it keeps."""
    edits = derived.hand_edits(dms.catalog, [doc.id for doc in docs])
    changes, kept = [], 0
    for doc in docs:
        hand = hand_fields(edits.get(doc.id, []), doc.version.seq)
        kept += len(hand.keys() & set(FIELDS))
        change = change_of(dms, doc, hand)
        if change:
            changes.append(change)
    return changes, kept


def _run(dms: Dms, dry_run: bool, by: str | None, on_progress) -> RederiveReport:
    from dms.ingest.postpass import after_ingest
    from dms.rulescheck import rules_in_use

    started = time.monotonic()
    used = rules_in_use(dms.settings)
    report = RederiveReport(dry_run=dry_run, rules=used.name, rules_sha256=used.sha256)
    total = derived.count_current(dms.catalog)
    before: dict[int, tuple] = {}  # changed documents -> their stored values (a few fields each)
    for batch in derived.current_documents(dms.catalog, BATCH):
        report.documents += len(batch)
        readable = [doc for doc in batch if doc.version.status == "ok"]
        report.not_read += len(batch) - len(readable)
        mark = derived.last_entry(dms.catalog)
        changes, kept = _changes(dms, readable)
        if not dry_run and changes:
            with dms.catalog.transaction():
                if derived.last_entry(dms.catalog) != mark:  # corrected or purged meanwhile in the web, which
                    changes, kept = _changes(dms, derived.still_current(dms.catalog, readable))  # takes no lock
                for change in changes:
                    ocrwork.rederive(dms.catalog, change.version_id, change.values, change.references)
        report.kept_by_hand += kept
        for change in changes:
            before[change.doc_id] = change.before
            report.changed += 1
            if dry_run or "references" in change.fields:
                for name in change.fields if dry_run else ("references",):
                    report.fields[name] += 1
        if on_progress:
            on_progress(report.documents, total)
    if not dry_run:
        if before:
            after_ingest(dms, list(before))
            for doc_id, now in derived.current_fields(dms.catalog, list(before)):
                for name, old, new in zip(FIELDS, before[doc_id], now):
                    report.fields[name] += old != new
        dms.sync_index()
        report.seconds = round(time.monotonic() - started, 3)
        audit.record(dms.catalog, by or dms.settings.user, ACTION, SUBJECT, {
            "rules": used.name, "rules_sha256": used.sha256, "documents": report.documents,
            "changed": report.changed, "fields": report.fields, "kept_by_hand": report.kept_by_hand})
    report.seconds = round(time.monotonic() - started, 3)
    return report
