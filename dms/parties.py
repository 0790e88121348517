"""Parties as entities: the organisations and people documents name, renamed and merged by hand.

Documents keep the names they give (an e-mail's "Brightwater Retail Service <service@brightwater.example>",
a letter's "Brightwater Retail"). A merge says several names are one party and which name it goes by; a rename
gives a party a new name. Both are applied wherever documents are shown: lists, search (the `party:` field and
the party facet: the documents concerned are indexed again), the graph (trace, path, timeline) and bundles.
Each is audited and can be undone; the names as written stay on record (`dms explain`, the document page).

The organisation an e-mail identity belongs to is set in the rules instead (`[parties.organisations]`,
dms.ingest.products): that one is derived at ingest, with its provenance.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from dms import audit
from dms.app import Dms
from dms.auditactions import PARTY_CHANGE_UNDONE as UNDONE  # audit actions
from dms.auditactions import PARTY_MERGED as MERGED
from dms.auditactions import PARTY_RENAMED as RENAMED
from dms.catalog import parties as sql
from dms.errors import NotFound, UsageError
from dms.users import acting

ROLE = "coordinator"  # who may rename, merge and undo
ACTIONS = (RENAMED, MERGED, UNDONE)  # audit actions; the graph is rebuilt after any of them
MAX_NAME = 200  # characters of a party name


@dataclass(frozen=True, slots=True)
class Party:
    name: str  # the name it goes by
    documents: int  # live documents naming it (under any of its names)
    names: tuple[tuple[str, int], ...]  # (name as documents write it, documents) when other than `name` alone


def listing(dms: Dms) -> list[Party]:
    """Every party live documents name, most named first."""
    table = sql.aliases(dms.catalog)
    docs: dict[str, set[int]] = defaultdict(set)
    written: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for doc_id, name in sql.names_in_use(dms.catalog):
        party = table.get(name, name)
        docs[party].add(doc_id)
        written[party][name].add(doc_id)
    parties = []
    for party, ids in docs.items():
        names = tuple(sorted(((n, len(i)) for n, i in written[party].items()), key=lambda x: (-x[1], x[0])))
        parties.append(Party(party, len(ids), () if [n for n, _ in names] == [party] else names))
    return sorted(parties, key=lambda p: (-p.documents, p.name.casefold()))


def find(dms: Dms, name: str) -> Party:
    """The party a person means by `name`: its name, or a name documents write it with (case aside)."""
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        raise UsageError("give a party's name")
    everyone = listing(dms)
    for by in (lambda p: [p.name], lambda p: [n for n, _ in p.names]):
        found = [p for p in everyone if wanted in (n.casefold() for n in by(p))]
        if len(found) == 1:
            return found[0]
    raise NotFound(f"no document names a party {name!r} (see `dms party list`)")


def _named(dms: Dms, name: str) -> Party | None:
    try:
        return find(dms, name)
    except NotFound:
        return None


def _clean(name: str, what: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise UsageError(f"{what} is empty")
    if len(text) > MAX_NAME:
        raise UsageError(f"{what} is longer than {MAX_NAME} characters")
    return text


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise UsageError("a rename, merge or undo needs a reason")
    return reason.strip()


def rename(dms: Dms, name: str, new_name: str, by: str, reason: str) -> dict:
    """Give a party a new name (every name it goes by follows)."""
    acting(dms.catalog, by, ROLE)
    party, new_name, reason = find(dms, name), _clean(new_name, "the new name"), _reason(reason)
    if new_name == party.name:
        raise UsageError(f"{party.name!r} already goes by that name")
    taken = _named(dms, new_name)
    if taken is not None and taken.name != party.name:
        raise UsageError(f"{taken.name!r} is a party already (written {new_name!r}): merge {party.name!r} into it "
                         "instead")
    return _change(dms, "rename", new_name, [party.name], by, reason, RENAMED)


def merge(dms: Dms, names: list[str], into: str, by: str, reason: str) -> dict:
    """Make several parties one, going by `into` (one of them, or a new name)."""
    acting(dms.catalog, by, ROLE)
    into, reason = _clean(into, "the name to merge into"), _reason(reason)
    chosen = list(dict.fromkeys(find(dms, n).name for n in names))
    existing = _named(dms, into)  # a party's name, or a name it is written as: that party
    into = existing.name if existing is not None else into
    merged = [n for n in chosen if n != into]
    if not merged:
        raise UsageError("name at least one party other than the one they are merged into")
    return _change(dms, "merge", into, merged, by, reason, MERGED)


def undo(dms: Dms, change_id: int, by: str, reason: str) -> dict:
    """Take back a rename or merge: the names it mapped read as they did without it."""
    acting(dms.catalog, by, ROLE)
    reason = _reason(reason)
    done = sql.change(dms.catalog, change_id)
    if done is None:
        raise NotFound(f"there is no party change {change_id} (see `dms party history`)")
    if done["undone_at"]:
        raise UsageError(f"party change {change_id} was undone already ({done['undone_at']} by {done['undone_by']})")
    with dms.catalog.transaction():
        before = sql.aliases(dms.catalog).copy()
        sql.mark_undone(dms.catalog, change_id, by)
        touched = _reindex(dms, before)
        audit.record(dms.catalog, by, UNDONE, f"party:{done['canonical']}",
                     {"change": change_id, "kind": done["kind"], "names": done["names"], "reason": reason,
                      "documents": len(touched)}, also=[f"party:{n}" for n in done["names"]])
    dms.sync_index()
    return {**sql.change(dms.catalog, change_id), "documents": len(touched)}


def history(dms: Dms) -> list[dict]:
    """Every rename and merge, newest first, undone ones marked."""
    return sql.changes(dms.catalog)


def _change(dms: Dms, kind: str, target: str, names: list[str], by: str, reason: str, action: str) -> dict:
    with dms.catalog.transaction():
        before = sql.aliases(dms.catalog).copy()
        change_id = sql.record_change(dms.catalog, kind, target, names, by, reason)
        touched = _reindex(dms, before)
        audit.record(dms.catalog, by, action, f"party:{target}",
                     {"change": change_id, "names": names, "into": target, "reason": reason,
                      "documents": len(touched)}, also=[f"party:{n}" for n in names])
    dms.sync_index()
    return {**sql.change(dms.catalog, change_id), "documents": len(touched)}


def _reindex(dms: Dms, before: dict[str, str]) -> list[int]:
    """Mark for indexing the documents whose parties now read differently; returns their ids."""
    after = sql.aliases(dms.catalog)
    moved = {n for n in before.keys() | after.keys() if before.get(n, n) != after.get(n, n)}
    ids = sql.documents_naming(dms.catalog, moved)
    sql.mark_for_index(dms.catalog, ids)
    return ids
