"""Keep the catalog's link rows (graph_links) current: derive again only what changed since the last time.

What changed is read from the catalog itself, so no writer has to remember to call anything: versions added since
the last sync (an ingest, an upload, a watched folder, a copy), and audit entries since then of the actions that
rewrite a document's facts in place or take it out of the graph or bring it back (`REDERIVING`), or that rename or
merge parties (`PARTY_ACTIONS`: the documents linked to or naming those parties). For each changed document its
`doc:<id>` links are derived again (dms.graph.derive), then those of the documents that reply to it (a parent
ingested after its reply is found then), and the supersedes chains of the numbers it carried and carries.

A change of the derivation (`derive.FORMAT`), of the link-type table (`linktypes.DIGEST`) or of the rules the
links are read with (identifiers, change families, revision schemes, phrases) derives every link again; so does the
first sync of a catalog (its upgrade to link rows), with a progress report on a large archive.

A sync runs in one write transaction (the catalog's write lock: several processes on one catalog sync one after the
other, and the later finds the work done). The ingest syncs when it ends; `graph_for` syncs before it reads, so a
change by any other path is seen by the next question.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dms.auditactions import (
    INGEST,
    METADATA_EDITED,
    METADATA_REDERIVED,
    OCR,
    PARTY_CHANGE_UNDONE,
    PARTY_MERGED,
    PARTY_RENAMED,
    PURGED,
    RESTORED,
    RETIRED,
)
from dms.catalog import linkrows
from dms.catalog.graphstamp import in_write_transaction
from dms.catalog.parties import documents_naming
from dms.graph import derive
from dms.graph.linktypes import DIGEST, INVOLVES, OWN_NUMBER

if TYPE_CHECKING:
    from dms.app import Dms
    from dms.catalog import Catalog, DocumentRow
    from dms.identifiers import IdentifierMatcher
    from dms.rules import Rules

# audit actions whose subject (doc:<id>) has facts the links are made of rewritten in place, or left or rejoined
REWRITING = (OCR, METADATA_EDITED, METADATA_REDERIVED)
REDERIVING = (INGEST, *REWRITING, RETIRED, RESTORED, PURGED)
PARTY_ACTIONS = (PARTY_RENAMED, PARTY_MERGED, PARTY_CHANGE_UNDONE)
CHUNK = 500  # documents derived per round of queries
FORMAT_STAMP = f"{derive.FORMAT}:{DIGEST}"
Progress = Callable[[int, int], None]  # (documents done, documents in all)


@dataclass(frozen=True, slots=True)
class Synced:
    full: bool  # every link derived again
    documents: int  # documents whose links were derived
    numbers: int  # supersedes chains derived
    links: int  # link rows written


def rules_stamp(rules: Rules) -> str:
    """A digest of every rule the links are derived with: a change to any of them derives every link again."""
    shaping = (rules.identifiers, rules.change_families, rules.revision_schemes, rules.decision_phrases,
               rules.amendment_phrases)
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def _stamps(rules: Rules) -> dict[str, str]:
    return {"format": FORMAT_STAMP, "rules": rules_stamp(rules)}


def current(dms: Dms) -> bool:
    """Whether the link rows are derived from the catalog as it is now (two plain queries)."""
    return _current(dms.catalog, dms.rules)


def _current(catalog: Catalog, rules: Rules) -> bool:
    state = linkrows.state(catalog)
    versions, audit, dirty = linkrows.marks(catalog)
    return (not dirty and all(state.get(k) == v for k, v in _stamps(rules).items())
            and state.get("versions") == str(versions) and state.get("audit") == str(audit))


def sync(dms: Dms, progress: Progress | None = None, full: bool = False, wait: float | None = None) -> Synced | None:
    """Bring the link rows up to date; None when they were. Inside the caller's transaction if one is open.
    full: derive every link again, whatever the rows say they are derived from. wait: seconds to wait for another
    process's write lock (CatalogBusy past them; default: the catalog's busy timeout)."""
    return sync_catalog(dms.catalog, dms.matcher, progress, full, wait)


def sync_catalog(catalog: Catalog, matcher: IdentifierMatcher, progress: Progress | None = None,
                 full: bool = False, wait: float | None = None) -> Synced | None:
    rules = matcher.rules
    if catalog.reading:
        return None  # inside a snapshot (read-only): it reads the rows as they were committed
    if not full and not in_write_transaction(catalog) and _current(catalog, rules):
        return None  # the usual case, without taking the write lock
    with catalog.transaction(wait):
        state = linkrows.state(catalog)
        versions, audit, dirty = linkrows.marks(catalog)
        stamps = _stamps(rules)
        changed = None
        if not (full or any(state.get(k) != v for k, v in stamps.items()) or "versions" not in state):
            if state["versions"] == str(versions) and state["audit"] == str(audit) and not dirty:
                return None
            changed = _changed(catalog, int(state["versions"]), int(state["audit"]))
        if changed is None:  # from scratch: a first sync, other rules or link types, an archive-wide change
            done = _derive_all(catalog, matcher, progress)
        else:
            done = derive_documents(catalog, matcher, changed)
        linkrows.set_state(catalog, {**stamps, "versions": str(versions), "audit": str(audit)})
    return done


def _changed(catalog: Catalog, version_mark: int, audit_mark: int) -> set[int] | None:
    """The documents whose links may differ from their rows: new versions, the audited changes since, and the
    documents rewritten in place (graph_dirty: duplicates re-pointed, dates settled, fields learned or re-derived).
    None: an audited change of no one document (every link is derived again)."""
    changed = set(linkrows.documents_with_versions_after(catalog, version_mark))
    changed |= set(linkrows.rewritten_documents(catalog))
    for action, subject, details in linkrows.audit_entries_after(catalog, audit_mark, REDERIVING + PARTY_ACTIONS):
        if action in PARTY_ACTIONS:  # the documents linked to, or naming, any name the change speaks of
            names = {subject, *_strings(json.loads(details or "{}"))}
            names |= {n.split(":", 1)[1] for n in names if n.startswith("party:")}
            scopes = linkrows.scopes_linking_to(catalog, [derive.entity_node("party", n) for n in names], INVOLVES)
            changed |= {int(s[4:]) for s in scopes if s.startswith("doc:")}
            changed |= set(documents_naming(catalog, names))
        elif subject.startswith("doc:") and subject[4:].isdigit():
            changed.add(int(subject[4:]))
        elif action != METADATA_REDERIVED:  # a rederive's archive entry: its documents are in graph_dirty
            return None
    return changed


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def derive_documents(catalog: Catalog, matcher: IdentifierMatcher, doc_ids: Iterable[int]) -> Synced:
    """Derive again the links of these documents (live or not: a retired or purged one keeps none), of the
    documents that reply to them, and the supersedes chains of the numbers they carried or carry."""
    doc_ids = sorted(set(doc_ids))
    scopes = [derive.doc_scope(i) for i in doc_ids]
    before = linkrows.messages_of(catalog, doc_ids)
    old_numbers = linkrows.targets_in_scopes(catalog, scopes, OWN_NUMBER)
    live = linkrows.live_documents(catalog, doc_ids)
    linkrows.replace_messages(catalog, doc_ids, _headers(live))
    messages = {m for m, _ in before.values() if m} | {d.version.meta.get("message_id") for d in live} - {None}
    replies = set(linkrows.repliers(catalog, sorted(messages))) - set(doc_ids)
    everyone = live + linkrows.live_documents(catalog, sorted(replies))
    written = _write_document_links(catalog, matcher, doc_ids + sorted(replies), everyone)
    numbers = {t.split(":", 1)[1] for targets in old_numbers.values() for t in targets}
    numbers |= {d.version.number for d in live if d.version.number}
    written += _write_chains(catalog, sorted(numbers))
    return Synced(False, len(doc_ids) + len(replies), len(numbers), written)


def _derive_all(catalog: Catalog, matcher: IdentifierMatcher, progress: Progress | None) -> Synced:
    """Every link from scratch: the headers of every document first (a reply may come before its parent)."""
    with linkrows.bulk(catalog):
        return _derive_everything(catalog, matcher, progress)


def _derive_everything(catalog: Catalog, matcher: IdentifierMatcher, progress: Progress | None) -> Synced:
    linkrows.clear(catalog)
    ids = linkrows.live_document_ids(catalog)
    total = len(ids)
    numbers: set[str] = set()
    for start in range(0, total, CHUNK):
        docs = linkrows.live_documents(catalog, ids[start:start + CHUNK])
        linkrows.replace_messages(catalog, [], _headers(docs))
        numbers |= {d.version.number for d in docs if d.version.number}
    written = 0
    for start in range(0, total, CHUNK):
        chunk = ids[start:start + CHUNK]
        written += _write_document_links(catalog, matcher, [], linkrows.live_documents(catalog, chunk))
        if progress:
            progress(min(start + CHUNK, total), total)
    written += _write_chains(catalog, sorted(numbers))
    return Synced(True, total, len(numbers), written)


def _headers(docs: Iterable[DocumentRow]) -> list[tuple[int, str | None, str | None]]:
    rows = []
    for doc in docs:
        message_id, reply = doc.version.meta.get("message_id"), doc.version.meta.get("in_reply_to")
        if message_id or reply:
            rows.append((doc.id, message_id or None, reply or None))
    return rows


def facts_for(catalog: Catalog, matcher: IdentifierMatcher, docs: Sequence[DocumentRow],
              carriers: dict[str, int] | None = None) -> derive.Facts:
    """What the links of these documents are made from, in a few queries. The replies' parents come from
    `carriers` (Message-ID -> document) when given, else from graph_messages (which must be current)."""
    references = linkrows.references_of(catalog, [d.id for d in docs])
    wanted = [d.version.id for d in docs if derive.cites_changes(matcher.rules, d, references.get(d.id, ()))]
    replies = sorted({d.version.meta["in_reply_to"] for d in docs if d.version.meta.get("in_reply_to")})
    replied = ({m: carriers[m] for m in replies if m in carriers} if carriers is not None
               else linkrows.carriers(catalog, replies))
    return derive.Facts(docs, references, replied, linkrows.pages_of(catalog, wanted))


def differences(catalog: Catalog, matcher: IdentifierMatcher, most: int = 5) -> dict:
    """The link rows against a derivation from scratch (`dms verify`): how many rows are missing and how many are
    extra, with up to `most` of each, and the same of the e-mail headers. Compared scope by scope, a chunk of
    documents (then of numbers) at a time, so memory holds one chunk's links, not the archive's twice."""
    ids = linkrows.live_document_ids(catalog)
    carriers: dict[str, int] = {}
    headers = []
    for start in range(0, len(ids), CHUNK):
        for row in _headers(linkrows.live_documents(catalog, ids[start:start + CHUNK])):
            headers.append(row)
            if row[1]:
                carriers[row[1]] = max(row[0], carriers.get(row[1], 0))
    tally = _Tally(most)
    numbers: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        docs = linkrows.live_documents(catalog, ids[start:start + CHUNK])
        numbers |= {d.version.number for d in docs if d.version.number}
        tally.compare(catalog, [derive.doc_scope(d.id) for d in docs],
                      derive.document_links(catalog, matcher, facts_for(catalog, matcher, docs, carriers)))
    ordered = sorted(numbers)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        by_number = linkrows.numbered_documents(catalog, chunk)
        tally.compare(catalog, [derive.number_scope(n) for n in chunk],
                      (row for number in chunk for row in derive.chain_links(number, by_number.get(number, ()))))
    tally.outside(catalog)
    found_headers = set(linkrows.all_messages(catalog))
    return {"missing": tally.missing, "extra": tally.extra, "examples_missing": tally.examples_missing,
            "examples_extra": tally.examples_extra,
            "headers_missing": len(set(headers) - found_headers), "headers_extra": len(found_headers - set(headers)),
            "links": tally.stored}


class _Tally:
    """Missing and extra link rows, counted scope chunk by scope chunk, with the first few (in sort order)."""

    def __init__(self, most: int):
        self.most = most
        self.missing = self.extra = self.stored = 0
        self.examples_missing: list[tuple] = []
        self.examples_extra: list[tuple] = []
        self.seen: set[str] = set()  # the scopes compared: a row of any other scope is extra

    def compare(self, catalog: Catalog, scopes: list[str], derived: Iterable[derive.LinkRow]) -> None:
        self.seen.update(scopes)
        expected = Counter(_key(r) for r in derived)
        stored = Counter(linkrows.links_in_scopes(catalog, scopes))
        self.stored += sum(stored.values())
        self._add(expected - stored, stored - expected)

    def outside(self, catalog: Catalog) -> None:
        """Rows under scopes no live document or number makes (a purged document's, a number no longer carried)."""
        others = [scope for scope, _ in linkrows.scope_counts(catalog) if scope not in self.seen]
        for start in range(0, len(others), CHUNK):
            rows = Counter(linkrows.links_in_scopes(catalog, others[start:start + CHUNK]))
            self.stored += sum(rows.values())
            self._add(Counter(), rows)

    def _add(self, missing: Counter, extra: Counter) -> None:
        self.missing += sum(missing.values())
        self.extra += sum(extra.values())
        self.examples_missing = sorted([*self.examples_missing, *missing.elements()], key=_order)[:self.most]
        self.examples_extra = sorted([*self.examples_extra, *extra.elements()], key=_order)[:self.most]


def _order(row: tuple) -> tuple:
    return tuple("" if v is None else str(v) for v in row)


def _key(row: derive.LinkRow) -> tuple:
    return (row.scope, row.source, row.target, row.type, row.evidence, row.outcome, row.page, row.position,
            row.cited)


def _write_document_links(catalog: Catalog, matcher: IdentifierMatcher, scoped_ids: Sequence[int],
                          docs: Sequence[DocumentRow]) -> int:
    """Replace the links of the scopes of `scoped_ids` (and of `docs`) with those `docs` make now."""
    written = 0
    scopes = [derive.doc_scope(i) for i in scoped_ids]
    if scopes:
        linkrows.replace_links(catalog, scopes, [])
    for start in range(0, len(docs), CHUNK):
        chunk = docs[start:start + CHUNK]
        rows = list(derive.document_links(catalog, matcher, facts_for(catalog, matcher, chunk)))
        written += linkrows.replace_links(catalog, [derive.doc_scope(d.id) for d in chunk], rows)
    return written


def _write_chains(catalog: Catalog, numbers: Sequence[str]) -> int:
    written = 0
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        by_number = linkrows.numbered_documents(catalog, chunk)
        rows = [row for number in chunk for row in derive.chain_links(number, by_number.get(number, ()))]
        written += linkrows.replace_links(catalog, [derive.number_scope(n) for n in chunk], rows)
    return written
