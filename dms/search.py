"""The search door: search as users do it (`dms search`, the web's search page, the API, holds and bundles).

Two calls, both taking the open archive (`dms.app.Dms`):

    search(dms, query, as_of=..., filters=..., forgiving=..., limit=..., page=..., sort=..., snippets=...)
        ranked hits with snippets and facets. `linked:` is resolved through the graph (dms.graph); with
        `as_of`, only what the archive held on that date (dms.asof); with `filters` (dms.filters), only the
        documents they select. The query is read as a person types it (`forgiving`, see dms.index.forgive):
        slips are read as plain words and said in `results.notice`, three or more bare words rank documents by
        how many they hold. `forgiving=False` reads the query language strictly (a slip is a QueryError).

    matching_ids(dms, query)
        the ids of every document a query matches, read strictly, without ranking, snippets or facets: the
        scope of a legal hold or a bundle, and what a filter selects.

Below this door, dms.index is the engine's door (parse, run, snippets) and knows nothing of the graph, dates in
force or the open archive; above it, callers never reach into `dms.index` to search for a person.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from dms.asof import known_on
from dms.catalog.indexstamp import index_stamp
from dms.index import SearchResults
from dms.index import query as q
from dms.index import search as engine_search

if TYPE_CHECKING:
    from dms.app import Dms
    from dms.filters import Filters

CACHE_SIZE = 64  # filter selections kept per process (paging and new words reuse the filters' documents)
_selected_cache: OrderedDict[tuple, frozenset[int]] = OrderedDict()
_cache_lock = threading.Lock()


def search(dms: Dms, query: str, *, as_of: str | None = None, filters: Filters | None = None,
           forgiving: bool = True, **options) -> SearchResults:
    """Search as users do; `options` are dms.index.search's (limit, page, sort, snippets). With filters, an
    empty query lists every document they select."""
    dms.ensure_index()
    within: frozenset[int] | None = None
    if filters:
        within = _selected(dms, filters.query())
        query = query if query.strip() else "*"
    if as_of:
        day = known_on(dms, as_of)
        within = day if within is None else within & day
    return engine_search(dms.catalog, dms.backend, dms.matcher, query, linked=_linker(dms), within=within,
                         forgiving=forgiving, **options)


def matching_ids(dms: Dms, query: str) -> set[int]:
    """The ids of every document the query matches, read strictly (no ranking, snippets or facets)."""
    dms.ensure_index()
    tree = q.resolve_linked(q.parse(query, dms.matcher, dms.backend.limits), _linker(dms))
    result = dms.backend.search(tree, limit=max(1, dms.catalog.document_count()), offset=0, sort="relevance",
                                facets=False)
    return {hit.doc_id for hit in result.hits}


def _linker(dms: Dms):
    """`linked:REF` -> the ids of the documents tied to REF. The graph is imported only when a query asks for it
    (it is the heaviest import of a search)."""

    def linked(ref: str) -> set[int]:
        from dms.graph import linked_ids

        return linked_ids(dms, ref)

    return linked


def _selected(dms: Dms, filter_query: str) -> frozenset[int]:
    """The documents a filter query selects; kept until the index changes (dms.catalog.indexstamp)."""
    key = (str(dms.settings.home), dms.settings.search_engine, filter_query, index_stamp(dms.catalog))
    with _cache_lock:
        if key in _selected_cache:
            _selected_cache.move_to_end(key)
            return _selected_cache[key]
    ids = frozenset(matching_ids(dms, filter_query))
    with _cache_lock:
        _selected_cache[key] = ids
        while len(_selected_cache) > CACHE_SIZE:
            _selected_cache.popitem(last=False)
    return ids
