"""The SQLite catalog: the system of record. The search index is derived from it."""

from dms.catalog.db import Catalog, DocumentRow, VersionRow, open_catalog
from dms.catalog.migrations import SCHEMA_VERSION

__all__ = ["Catalog", "DocumentRow", "VersionRow", "open_catalog", "SCHEMA_VERSION"]
