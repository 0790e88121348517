"""The search facade: the only door to the engine.

`open_backend()` picks the engine; `search()` parses a query once, runs it, and adds
snippets from the catalog. Other packages import from here, never from an engine module.
"""

from dms.index.backend import EngineHit, EngineResult, IndexWriter, SearchBackend
from dms.index.service import SearchHit, SearchResults, highlight_pages, hit_keys, open_backend, search

__all__ = [
    "EngineHit", "EngineResult", "IndexWriter", "SearchBackend", "SearchHit", "SearchResults",
    "highlight_pages", "hit_keys", "open_backend", "search",
]
