"""A set of documents (by dms id) as one Whoosh query: `linked:` and as-of restrict a search to thousands of
documents, and an Or of a Term per document costs seconds; this builds one list matcher per segment instead.

Each segment's doc_id -> document number map is read once from the doc_id postings and kept while the
segment reader lives. It scores next to nothing (1e-9: Whoosh reads 0 as "unset"), so it filters
without changing the ranking.
"""

from __future__ import annotations

import weakref

from whoosh import matching
from whoosh.query import Query

_maps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _id_map(reader) -> dict[int, int]:
    found = _maps.get(reader)
    if found is None:
        found = {}
        for term in reader.lexicon("doc_id"):
            text = term.decode() if isinstance(term, bytes) else str(term)
            for docnum in reader.postings("doc_id", term).all_ids():
                if not reader.is_deleted(docnum):
                    found[int(text)] = docnum
        _maps[reader] = found
    return found


class DocIds(Query):
    def __init__(self, ids: frozenset[int]):
        self.ids = frozenset(ids)

    def __repr__(self) -> str:
        return f"DocIds({len(self.ids)} documents)"

    def __str__(self) -> str:
        return f"<{len(self.ids)} documents>"

    def __eq__(self, other) -> bool:
        return isinstance(other, DocIds) and self.ids == other.ids

    def __hash__(self) -> int:
        return hash(self.ids)

    def estimate_size(self, ixreader) -> int:
        return len(self.ids)

    def matcher(self, searcher, context=None):
        local = _id_map(searcher.reader())
        docnums = sorted(local[i] for i in self.ids if i in local)
        return matching.ListMatcher(docnums, all_weights=1e-9) if docnums else matching.NullMatcher()
