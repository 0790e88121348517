"""The search engines dms can use: one registry, the only list of their names.

Read by the settings (`DMS_SEARCH_ENGINE`, dms.config), the command line (`--engine`, dms.cli.common),
`open_backend` (dms.index.service) and the help. Each engine is named here with the module and class that
implement `dms.index.backend.SearchBackend`; the module is imported only when the engine is opened, so a
process using Whoosh never loads Tantivy (and a machine without the tantivy package runs until it is chosen).

This module imports nothing of dms but its errors (dms.config reads it while validating settings). To add an engine,
add a row here and a module whose class takes `(index_dir, limits=...)`, sets `name` to the row's name and
passes the engine tests (tests/test_engines.py, tests/test_engine_registry.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from dms.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Engine:
    name: str  # as DMS_SEARCH_ENGINE and --engine take it; recorded in the index directory's marker
    module: str
    cls: str
    # a module whose `analyze(pages)` analyses a document's text in an ingest worker, for the writer to take
    # ready-made (IndexRecord.terms); None: the engine analyses in its writer (Tantivy does, in its own threads)
    analysis: str | None = None

    def load(self) -> type:
        """The engine's SearchBackend class (its module imported now, on first use)."""
        return getattr(importlib.import_module(self.module), self.cls)

    def analyze(self, pages):
        """The engine's analysis of these pages (None if it has none, or would rather analyse them itself)."""
        return importlib.import_module(self.analysis).analyze(pages) if self.analysis else None


REGISTRY: tuple[Engine, ...] = (
    Engine("whoosh", "dms.index.whoosh_backend", "WhooshBackend",  # pure Python; the default (the first)
           analysis="dms.index.whoosh_terms"),
    Engine("tantivy", "dms.index.tantivy_backend", "TantivyBackend"),  # pip install 'dms[tantivy]'
)
BY_NAME: dict[str, Engine] = {e.name: e for e in REGISTRY}
NAMES: tuple[str, ...] = tuple(BY_NAME)
DEFAULT: str = NAMES[0]


def engine(name: str, setting: str | None = "DMS_SEARCH_ENGINE") -> Engine:
    """The engine of this name (as typed: spaces and case do not matter); for any other name a ConfigError
    naming the setting it came from (if any) and the engines there are."""
    found = BY_NAME.get(name.strip().lower())
    if found is None:
        given = f"{setting}={name!r}" if setting else repr(name)
        raise ConfigError(f"{given}: the search engines are {', '.join(NAMES)}")
    return found

