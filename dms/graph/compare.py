"""The link rows against a derivation from scratch, for `dms verify`: compared scope chunk by scope chunk, so memory
holds one chunk's links, never the archive's twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dms.catalog import linkrows
from dms.graph import derive
from dms.graph.linkwrite import CHUNK, facts_for, headers_of

if TYPE_CHECKING:
    from dms.catalog import Catalog
    from dms.identifiers import IdentifierMatcher


def differences(catalog: Catalog, matcher: IdentifierMatcher, most: int = 5) -> dict:
    """The link rows against a derivation from scratch (`dms verify`): how many rows are missing and how many are
    extra, with up to `most` of each, and the same of the e-mail headers. Compared scope by scope, a chunk of
    documents (then of numbers) at a time, so memory holds one chunk's links, not the archive's twice."""
    ids = linkrows.live_document_ids(catalog)
    carriers: dict[str, int] = {}
    headers = []
    for start in range(0, len(ids), CHUNK):
        for row in headers_of(linkrows.live_documents(catalog, ids[start:start + CHUNK])):
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
