"""The engine's door: the only way into the search engine.

`open_backend()` picks the engine; `search()` parses a query once, runs it, and adds snippets from the
catalog. It takes the catalog, the engine and the identifier matcher, never the open archive: searching as
users do it (the graph for `linked:`, as-of, filters) is the search door's, dms.search, one floor up.
Other packages import from here, never from an engine module.
"""

from dms.index.backend import EngineHit, EngineResult, IndexWriter, SearchBackend
from dms.index.service import SearchHit, SearchResults, highlight_pages, hit_keys, open_backend, search

__all__ = [
    "EngineHit", "EngineResult", "IndexWriter", "SearchBackend", "SearchHit", "SearchResults",
    "highlight_pages", "hit_keys", "open_backend", "search",
]
