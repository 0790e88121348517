"""Keep the catalog's link rows (graph_links) current: derive again only what changed since the last time.

What changed is read from the catalog itself, so no writer has to remember to call anything: versions added since
the last sync (an ingest, an upload, a watched folder, a copy), and audit entries since then of the actions that
rewrite a document's facts in place or take it out of the graph or bring it back (`REDERIVING`), or that rename or
merge parties (`PARTY_ACTIONS`: the documents linked to or naming those parties). For each changed document its
`doc:<id>` links are derived again (dms.graph.derive), then those of the documents that reply to it (a parent
ingested after its reply is found then), and the supersedes chains of the numbers it carried and carries.

A change of the derivation (`derive.FORMAT`), of the link-type table (`linktypes.DIGEST`) or of the rules the
links are read with (identifiers, change families, revision schemes, phrases) derives every link again; so does the
first sync of a catalog (its upgrade to link rows), with a progress report on a large archive: in steps that each
commit (dms.graph.rebuild), so a killed one goes on where it stopped and writers get in between the steps; writers
and web requests take at most one step of it (`brief`), `dms serve`'s link keeper and questions on the command line
the rest.

A sync of changed documents runs in one write transaction (the catalog's write lock: several processes on one
catalog sync one after the other, and the later finds the work done). The ingest syncs when it ends; `graph_for`
syncs before it reads, so a change by any other path is seen by the next question.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
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
from dms.errors import CatalogBusy
from dms.graph import derive, linkwrite, rebuild
from dms.graph.linktypes import DIGEST, INVOLVES, OWN_NUMBER

if TYPE_CHECKING:
    from dms.app import Dms
    from dms.catalog import Catalog
    from dms.identifiers import IdentifierMatcher
    from dms.rules import Rules

# audit actions whose subject (doc:<id>) has facts the links are made of rewritten in place, or left or rejoined
REWRITING = (OCR, METADATA_EDITED, METADATA_REDERIVED)
REDERIVING = (INGEST, *REWRITING, RETIRED, RESTORED, PURGED)
PARTY_ACTIONS = (PARTY_RENAMED, PARTY_MERGED, PARTY_CHANGE_UNDONE)
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


def under_way(dms: Dms) -> dict | None:
    """The record of a derivation from scratch not finished yet (dms.graph.rebuild), or None."""
    return rebuild.pending(linkrows.state(dms.catalog))


def _current(catalog: Catalog, rules: Rules) -> bool:
    state = linkrows.state(catalog)
    versions, audit, dirty = linkrows.marks(catalog)
    return (not dirty and all(state.get(k) == v for k, v in _stamps(rules).items())
            and state.get("versions") == str(versions) and state.get("audit") == str(audit))


def sync(dms: Dms, progress: Progress | None = None, full: bool = False, wait: float | None = None,
         question: bool = False, brief: bool = False) -> Synced | None:
    """Bring the link rows up to date; None when they were, or when the rest is another process's to do. Inside
    the caller's transaction if one is open.

    - full: derive every link again, whatever the rows say they are derived from (a derivation from scratch under
      way with the same rules goes on: it is one).
    - wait: seconds to wait for another process's write lock (CatalogBusy past them; default: the catalog's busy
      timeout).
    - question: asked before a question is answered (graph_for): CatalogBusy (the rows answer, behind) where a
      writer would return None.
    - brief: at most one step (about rebuild.STEP_SECONDS) of a derivation from scratch, the rest left to the next
      sync that is not brief (`dms graph sync`, a question on the command line, the server's link keeper): what a
      writer holding its own lock (an ingest, a web request, OCR) asks for.

    A derivation from scratch under way whose last step is recent (dms.graph.rebuild.alive) is left to the
    process taking it: its catch-up sync takes in what others changed meanwhile."""
    return sync_catalog(dms.catalog, dms.matcher, progress, full, wait, question, brief)


def sync_catalog(catalog: Catalog, matcher: IdentifierMatcher, progress: Progress | None = None,
                 full: bool = False, wait: float | None = None, question: bool = False,
                 brief: bool = False) -> Synced | None:
    rules = matcher.rules
    if catalog.reading:
        return None  # inside a snapshot (read-only): it reads the rows as they were committed
    if not full and not in_write_transaction(catalog) and _current(catalog, rules):
        return None  # the usual case, without taking the write lock
    stamps = _stamps(rules)
    with catalog.transaction(wait):
        state = linkrows.state(catalog)
        versions, audit, dirty = linkrows.marks(catalog)
        under_way = rebuild.pending(state)
        same = under_way is not None and under_way["stamps"] == stamps
        if same and not full and rebuild.alive(under_way):
            if question:
                raise CatalogBusy(f"another process is deriving every link again ({under_way['done']} of "
                                  f"{under_way['total']} documents done)")
            return None
        if not same:
            changed = None
            if under_way is None and not (full or any(state.get(k) != v for k, v in stamps.items())
                                          or "versions" not in state):
                if state["versions"] == str(versions) and state["audit"] == str(audit) and not dirty:
                    return None
                changed = _changed(catalog, int(state["versions"]), int(state["audit"]))
            if changed is not None:
                done = derive_documents(catalog, matcher, changed)
                linkrows.set_state(catalog, {**stamps, "versions": str(versions), "audit": str(audit)})
                return done
            # from scratch: a first sync, other rules or link types, an archive-wide change (dms.graph.rebuild)
            rebuild.start(catalog, stamps, versions, audit)
        # a step in this transaction: a small archive is derived in it whole
        with linkrows.large_cache(catalog):
            record, first, finished = rebuild.step(catalog, matcher, stamps)
        if progress and first.documents:
            progress(min(record["done"], record["total"]), record["total"])
        if finished:
            return Synced(True, record["done"], record["numbers"], record["links"])
    if brief:
        if question:
            raise CatalogBusy(f"every link is being derived again ({record['done']} of {record['total']} documents "
                              "done)")
        return None
    nested = in_write_transaction(catalog)  # then the steps join the caller's transaction
    done = rebuild.run(catalog, matcher, stamps, progress, wait)
    if done is None:
        return None
    if not nested:
        sync_catalog(catalog, matcher, None, False, wait)  # what changed while it ran
    return Synced(True, done.documents, done.numbers, done.links)


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
    linkrows.replace_messages(catalog, doc_ids, linkwrite.headers_of(live))
    messages = {m for m, _ in before.values() if m} | {d.version.meta.get("message_id") for d in live} - {None}
    replies = set(linkrows.repliers(catalog, sorted(messages))) - set(doc_ids)
    everyone = live + linkrows.live_documents(catalog, sorted(replies))
    written = linkwrite.write_document_links(catalog, matcher, doc_ids + sorted(replies), everyone)
    numbers = {t.split(":", 1)[1] for targets in old_numbers.values() for t in targets}
    numbers |= {d.version.number for d in live if d.version.number}
    written += linkwrite.write_chains(catalog, sorted(numbers))
    return Synced(False, len(doc_ids) + len(replies), len(numbers), written)
