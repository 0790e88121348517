"""The engine's door: the only way into the search engine.

`open_backend()` picks the engine; `search()` parses a query once, runs it, and adds snippets from the
catalog. It takes the catalog, the engine and the identifier matcher, never the open archive: searching as
users do it (the graph for `linked:`, as-of, filters) is the search door's, dms.search, one floor up.
Other packages import from here, never from an engine module.
"""

import importlib

_HOMES = {  # each name of the door and the module it lives in, imported when first asked for: an ingest worker
    # that only reads the engine registry (dms.index.engines) or a worker-side analysis loads none of them
    **dict.fromkeys(("EngineHit", "EngineResult", "IndexWriter", "SearchBackend"), "dms.index.backend"),
    **dict.fromkeys(("SearchHit", "SearchResults", "highlight_pages", "hit_keys", "open_backend", "search"),
                    "dms.index.service"),
}
__all__ = list(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
